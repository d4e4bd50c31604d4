package io.tailwatch.tools;

import io.tailwatch.detector.bank.CoresetMethod;
import io.tailwatch.detector.bank.PatchCoreFitter;
import io.tailwatch.detector.data.LabeledImage;
import io.tailwatch.detector.data.MagneticTile;
import io.tailwatch.detector.eval.EvaluationResult;
import io.tailwatch.detector.eval.PatchCoreEvaluation;
import io.tailwatch.detector.features.BackboneModel;
import io.tailwatch.detector.features.FeatureExtractor;
import io.tailwatch.detector.features.PatchEmbeddingSpec;
import io.tailwatch.detector.hyperspectral.HyperspectralScene;
import io.tailwatch.detector.hyperspectral.MatSceneReader;
import io.tailwatch.detector.hyperspectral.SceneFiles;
import io.tailwatch.detector.image.FloatImage;
import io.tailwatch.detector.knn.KnnPrecision;
import io.tailwatch.detector.knn.OnnxKnnScorer;
import io.tailwatch.detector.onnx.ComputePrecision;
import io.tailwatch.detector.scoring.Detection;
import io.tailwatch.detector.scoring.DetectorOptions;
import io.tailwatch.detector.scoring.Heatmaps;
import io.tailwatch.detector.scoring.Reweighting;
import io.tailwatch.detector.util.Progress;
import io.tailwatch.detector.util.SharedDirs;
import io.tailwatch.tools.train.HyperspectralEvaluation;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code evaluate}: the fit-then-test protocol on a labelled dataset, as a markdown table. */
@Command(
    name = "evaluate",
    mixinStandardHelpOptions = true,
    description = {
      "magnetic-tile: fit on a seeded split of the normal images and test on the rest plus every",
      "defect; print and write image AUROC, pixel AUROC, PRO per defect type.",
      "abu | hydice | <dir of .mat scenes>: per-scene pixel AUROC and AUPR of RX, the spectral bank and the",
      "autoencoder (plain, +LAMP, +IW, +LAMP+IW) over --seeds seeds; detection-map PNGs."
    })
final class EvaluateCommand implements Callable<Integer> {
  // what the last run produced, for whoever ran this instance (tests read it through the
  // CommandLine)
  private Result lastResult;
  private List<HyperspectralEvaluation.SceneResult> lastScenes;

  Result lastResult() {
    return lastResult;
  }

  List<HyperspectralEvaluation.SceneResult> lastScenes() {
    return lastScenes;
  }

  @Option(
      names = "--dataset",
      required = true,
      description = "magnetic-tile, abu, hydice, or a directory of" + " .mat scenes")
  String dataset;

  @Option(names = "--data-dir", description = "Data folder (default: $TAILWATCH_DATA_DIR).")
  Path dataDir;

  @Option(names = "--train-fraction", defaultValue = "0.8")
  double trainFraction;

  @Option(names = "--seed", defaultValue = "42")
  long seed;

  @Option(names = "--coreset", defaultValue = "0.1")
  double coreset;

  @Option(names = "--coreset-method", defaultValue = "approximate")
  String coresetMethod;

  @Option(names = "--projection-dim", defaultValue = "128")
  int projectionDim;

  @Option(names = "--batch", defaultValue = "16")
  int batch;

  @Option(
      names = "--knn-precision",
      defaultValue = "fp32",
      description =
          "Arithmetic of the test images' kNN "
              + "search: fp32 (exact) or int8 (integer GEMM candidates re-ranked exactly; CPU). The bank is always built "
              + "in fp32. Default: ${DEFAULT-VALUE}.")
  String knnPrecision;

  @Option(
      names = "--reweight",
      description = "PatchCore neighbourhood reweighting of image scores.")
  boolean reweight;

  @Option(
      names = "--out-dir",
      defaultValue = "target/evaluation",
      description = "Where the table (and maps) go. Default: ${DEFAULT-VALUE}.")
  Path outDir;

  @Option(
      names = "--maps",
      defaultValue = "0",
      description = "Write heatmap overlays for this many test images per type.")
  int maps;

  @Option(
      names = "--seeds",
      defaultValue = "3",
      description =
          "Hyperspectral: runs of each stochastic method (seeds 1..n). Default: ${DEFAULT-VALUE}.")
  int seeds;

  @Option(
      names = "--local-rx-window",
      split = ",",
      defaultValue = "21,7",
      description = "Hyperspectral: local RX outer,inner window (odd). Default: ${DEFAULT-VALUE}.")
  int[] localWindow;

  @Option(
      names = "--local-rx-components",
      defaultValue = "10",
      description =
          "Hyperspectral: principal components local RX works on. Default: ${DEFAULT-VALUE}.")
  int localComponents;

  @Mixin SpectralBankCliOptions spectralBank;

  @Mixin AutoencoderOptions autoencoder;

  @Mixin PreprocessingOptions preprocessing;

  @Mixin BackboneOptions backbone;

  /** What the last run computed, for tests that drive the command. */
  record Result(EvaluationResult evaluation, Path table) {}

  private int evaluateScenes() throws Exception {
    if (seeds <= 0) {
      throw new IllegalArgumentException("--seeds must be positive (was " + seeds + ")");
    }
    if (localWindow.length != 2) {
      throw new IllegalArgumentException(
          "--local-rx-window takes outer,inner (got " + localWindow.length + " values)");
    }
    List<Path> files =
        SceneFiles.resolve(
            dataset,
            dataDir != null ? dataDir : SharedDirs.fromEnv(SharedDirs.DATA_DIR).orElse(null));
    Files.createDirectories(outDir);
    int threads = Math.max(1, Runtime.getRuntime().availableProcessors());
    HyperspectralEvaluation evaluation =
        new HyperspectralEvaluation(
            new HyperspectralEvaluation.Options(
                seeds,
                spectralBank.options(),
                autoencoder.trainer(1),
                autoencoder.amplification(),
                autoencoder.weighting(),
                localComponents,
                localWindow[0],
                localWindow[1],
                threads,
                outDir.resolve("maps")));
    List<HyperspectralEvaluation.SceneResult> results = new ArrayList<>();
    long started = System.nanoTime();
    long epochsPerTraining = autoencoder.epochs;
    long allEpochs =
        (long) files.size() * 4 * seeds * epochsPerTraining; // four autoencoder variants per seed
    long[] finished = {0};
    try (ProgressBar bar = new ProgressBar("train")) {
      Progress overall =
          (done, total) -> {
            bar.update(finished[0] + done, allEpochs);
            if (done == total) {
              finished[0] += total;
            }
          };
      for (Path file : files) {
        HyperspectralScene scene = MatSceneReader.read(file);
        System.err.printf(
            Locale.ROOT,
            "%s: %dx%dx%d, %d anomalous pixels%n",
            scene.name(),
            scene.cube().lines(),
            scene.cube().samples(),
            scene.cube().bands(),
            scene.anomalousPixels());
        results.add(
            evaluation.evaluate(
                scene,
                new HyperspectralEvaluation.Listener() {
                  @Override
                  public void done(String name, HyperspectralEvaluation.MethodResult r) {
                    System.err.printf(
                        Locale.ROOT,
                        "  %-14s AUROC %.4f  AUPR %.4f%n",
                        r.method(),
                        r.meanAuroc(),
                        r.meanAupr());
                  }

                  @Override
                  public Progress training() {
                    return overall;
                  }
                }));
      }
    }
    String table =
        "# "
            + dataset
            + " hyperspectral evaluation\n\n"
            + HyperspectralEvaluation.markdown(results, evaluation.methods())
            + String.format(
                Locale.ROOT,
                "%nEvaluated in %.0f s on %d threads.%n",
                (System.nanoTime() - started) / 1e9,
                threads);
    Path file = outDir.resolve("evaluation-" + Path.of(dataset).getFileName() + ".md");
    Files.writeString(file, table);
    System.out.println(table);
    System.out.println(
        "table written to " + file + ", detection maps under " + outDir.resolve("maps"));
    lastScenes = results;
    return 0;
  }

  @Override
  public Integer call() throws Exception {
    if (SceneFiles.isSceneDataset(dataset)) {
      return evaluateScenes();
    }
    backbone.validate();
    KnnPrecision.parse(knnPrecision);
    if (!dataset.equals("magnetic-tile")) {
      throw new IllegalArgumentException(
          "--dataset must be magnetic-tile, abu, hydice or a directory of .mat"
              + " scenes (was '"
              + dataset
              + "')");
    }
    Path dir =
        dataDir != null
            ? dataDir
            : SharedDirs.fromEnv(SharedDirs.DATA_DIR)
                .orElseThrow(
                    () ->
                        new IllegalArgumentException(
                            "no data directory: set TAILWATCH_DATA_DIR or --data-dir"));
    MagneticTile.Split split =
        MagneticTile.split(MagneticTile.resolveRoot(dir), trainFraction, seed);
    BackboneModel model = backbone.loadBackbone(null);
    PatchEmbeddingSpec spec = backbone.spec(model);
    PatchCoreFitter.Options fit =
        new PatchCoreFitter.Options(
            coreset,
            CoresetMethod.parse(coresetMethod),
            projectionDim,
            seed,
            batch,
            preprocessing.toPreprocessing());
    DetectorOptions detect = new DetectorOptions(reweight, Reweighting.DEFAULT_NEIGHBOURS, 4.0);
    Files.createDirectories(outDir);
    Path mapDir = outDir.resolve("maps");
    Map<String, Integer> written = new HashMap<>();
    System.err.printf(
        Locale.ROOT,
        "evaluate %s: %d train, %d test images; %s; coreset %s %.3f; kNN %s; test "
            + "images' backbone %s%n",
        dataset,
        split.train().size(),
        split.test().size(),
        fit.preprocessing(),
        fit.method(),
        coreset,
        knnPrecision,
        backbone.precision().name().toLowerCase(Locale.ROOT));
    // the bank is built in fp32 whatever --precision says, as a bank fitted once and scored on a
    // GPU in fp16 would be
    try (FeatureExtractor extractor = backbone.openExtractor(model, spec, ComputePrecision.FP32);
        FeatureExtractor scoringExtractor =
            backbone.precision() == ComputePrecision.FP32
                ? null
                : backbone.openExtractor(model, spec);
        OnnxKnnScorer knn = OnnxKnnScorer.open(backbone.provider(), backbone.threads);
        OnnxKnnScorer scoringKnn =
            OnnxKnnScorer.open(
                backbone.provider(), backbone.threads, KnnPrecision.parse(knnPrecision));
        ProgressBar embedBar = new ProgressBar("embed");
        ProgressBar coresetBar = new ProgressBar("coreset");
        ProgressBar scoreBar = new ProgressBar("score")) {
      PatchCoreEvaluation.Listener listener =
          new PatchCoreEvaluation.Listener() {
            @Override
            public Progress embedProgress() {
              return embedBar;
            }

            @Override
            public Progress coresetProgress() {
              return coresetBar;
            }

            @Override
            public Progress scoreProgress() {
              return scoreBar;
            }

            @Override
            public void scored(LabeledImage image, FloatImage frame, Detection d) {
              if (written.merge(image.type(), 1, Integer::sum) > maps) {
                return;
              }
              try {
                Files.createDirectories(mapDir.resolve(image.type()));
                String name =
                    image.image().getFileName().toString().replaceFirst("\\.[^.]+$", "") + ".png";
                Files.write(
                    mapDir.resolve(image.type()).resolve(name),
                    Heatmaps.png(Heatmaps.overlayOwnRange(frame, d.map(), d.mapSize())));
              } catch (IOException e) {
                throw new UncheckedIOException(e);
              }
            }
          };
      EvaluationResult result =
          new PatchCoreEvaluation(
                  extractor,
                  scoringExtractor == null ? extractor : scoringExtractor,
                  knn,
                  scoringKnn,
                  fit,
                  detect)
              .run(dataset, split.train(), split.test(), listener);
      String table = "# " + dataset + " evaluation\n\n" + result.markdown();
      Path file = outDir.resolve("evaluation-" + dataset + ".md");
      Files.writeString(file, table);
      System.out.println(table);
      System.out.println("table written to " + file);
      lastResult = new Result(result, file);
    }
    return 0;
  }
}
