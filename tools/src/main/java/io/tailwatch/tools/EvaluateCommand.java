package io.tailwatch.tools;

import io.tailwatch.detector.bank.CoresetMethod;
import io.tailwatch.detector.bank.PatchCoreFitter;
import io.tailwatch.detector.data.LabeledImage;
import io.tailwatch.detector.data.MagneticTile;
import io.tailwatch.detector.data.MvtecLayout;
import io.tailwatch.detector.eval.EvaluationResult;
import io.tailwatch.detector.eval.PatchCoreEvaluation;
import io.tailwatch.detector.features.BackboneModel;
import io.tailwatch.detector.features.FeatureExtractor;
import io.tailwatch.detector.features.PatchEmbeddingSpec;
import io.tailwatch.detector.hyperspectral.HyperspectralScene;
import io.tailwatch.detector.hyperspectral.MatSceneReader;
import io.tailwatch.detector.hyperspectral.SceneFiles;
import io.tailwatch.detector.image.FloatImage;
import io.tailwatch.detector.image.Tiling;
import io.tailwatch.detector.knn.KnnPrecision;
import io.tailwatch.detector.knn.OnnxKnnScorer;
import io.tailwatch.detector.onnx.ComputePrecision;
import io.tailwatch.detector.scoring.Detection;
import io.tailwatch.detector.scoring.DetectorOptions;
import io.tailwatch.detector.scoring.Heatmaps;
import io.tailwatch.detector.scoring.Reweighting;
import io.tailwatch.detector.tail.LongTailFitter;
import io.tailwatch.detector.util.Progress;
import io.tailwatch.detector.util.SharedDirs;
import io.tailwatch.tools.evaluation.ClassOutcome;
import io.tailwatch.tools.evaluation.EvaluationPlots;
import io.tailwatch.tools.evaluation.PoolReport;
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
      "<MVTec-layout folder>: the same per class (train/good -> bank, test/ -> metrics), every class",
      "found below it; mean over classes with 95%% intervals, markdown + JSON, ROC and score plots.",
      "Both: false-alarm rate and recall at the threshold fitted on held-out training images.",
      "Exit code 3 when some class or method failed (its error is in the table; the rest ran).",
      "abu | hydice | <dir of .mat scenes>: per-scene pixel AUROC and AUPR of RX, the spectral bank and the",
      "autoencoder (plain, +LAMP, +IW, +LAMP+IW) over --seeds seeds; detection-map PNGs."
    })
final class EvaluateCommand implements Callable<Integer> {
  // what the last run produced, for whoever ran this instance (tests read it through the
  // CommandLine)
  private static final org.slf4j.Logger LOG =
      org.slf4j.LoggerFactory.getLogger(EvaluateCommand.class);
  private Result lastResult;
  private List<ClassOutcome> lastOutcomes;

  List<ClassOutcome> lastOutcomes() {
    return lastOutcomes;
  }

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
      description =
          "magnetic-tile; an MVTec-layout folder (one class with train/good/, or a root of such"
              + " classes); abu, hydice, or a directory of .mat scenes")
  String dataset;

  @Option(
      names = "--methods",
      split = ",",
      defaultValue = "patchcore",
      description =
          "Bank-building methods to compare, comma-separated: patchcore, softpatch, tailedcore."
              + " Default: ${DEFAULT-VALUE}.")
  List<String> methods;

  @Option(
      names = "--calibration-holdout",
      defaultValue = "0.1",
      description =
          "Fraction of each class's training images kept out of the bank to fit the threshold,"
              + " as fit does (0 = no threshold figures). Default: ${DEFAULT-VALUE}.")
  double calibrationHoldout;

  @Option(
      names = "--calibration-folds",
      defaultValue = "0",
      description =
          "Fit the threshold on k-fold cross-fitted scores of all the training images (k >= 2; each"
              + " fold scored against a bank of the others) instead of a hold-out; the bank is then"
              + " fitted on every training image. 0 = --calibration-holdout. Default: ${DEFAULT-VALUE}.")
  int calibrationFolds;

  @Mixin CalibrationGroupOptions calibrationGroups;

  @Mixin ImageScoreOptions imageScore;

  @Option(
      names = "--index",
      defaultValue = "exact",
      description =
          "exact, or ivf: each class's bank gets an IVF index and the test images are searched"
              + " through --ivf-probes lists (to measure what the index costs in AUROC). Default:"
              + " ${DEFAULT-VALUE}.")
  String index;

  @Option(
      names = "--ivf-lists",
      defaultValue = "0",
      description =
          "--index ivf: lists (0 = 4 sqrt(N), at least 39 a list). Default: ${DEFAULT-VALUE}.")
  int ivfLists;

  @Option(
      names = "--ivf-probes",
      defaultValue = "16",
      description = "--index ivf: lists probed per patch. Default: ${DEFAULT-VALUE}.")
  int ivfProbes;

  @Option(
      names = "--false-alarm-rate",
      defaultValue = "0.01",
      description = "False-alarm rate the fitted threshold is set for. Default: ${DEFAULT-VALUE}.")
  double falseAlarmRate;

  @Option(
      names = "--plots",
      negatable = true,
      defaultValue = "true",
      fallbackValue = "true",
      description =
          "Write each class's ROC curve and score histogram (PNG) under <out-dir>/plots."
              + " Default: ${DEFAULT-VALUE}.")
  boolean plots;

  @Mixin LongTailCliOptions longTail;

  @Mixin TilingOptions tilingOptions;

  @Option(
      names = "--classes",
      split = ",",
      description =
          "Only the classes whose name (path below --dataset, e.g. deeppcb/group00041) matches one of"
              + " these globs (deeppcb/*,mvtec_ad/bottle). Default: every class.")
  List<String> classGlobs = new ArrayList<>();

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
        HyperspectralScene scene;
        try {
          scene = MatSceneReader.read(file);
        } catch (Exception e) {
          System.err.println(file.getFileName() + ": cannot be read, every method fails: " + e);
          results.add(evaluation.unreadable(file.getFileName().toString(), e));
          continue;
        }
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
                    if (r.isFailed()) {
                      System.err.printf(Locale.ROOT, "  %-14s FAILED: %s%n", r.method(), r.error());
                      return;
                    }
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
    if (HyperspectralEvaluation.anyFailed(results)) {
      System.err.println(
          "some methods failed (their errors are in the table); exit code " + FAILED_EXIT_CODE);
      return FAILED_EXIT_CODE;
    }
    return 0;
  }

  @Option(
      names = "--train-good",
      split = ",",
      paramLabel = "DIR",
      description =
          "Fit on the normal images of these folders instead of the class's train/good/; --dataset"
              + " is then one folder with test/ (and ground_truth/), e.g. a test-only highres/ set:"
              + " --dataset aitex/highres --train-good aitex/fabric00/train/good,aitex/fabric01/train/good.")
  List<Path> trainGood;

  /** --index, --ivf-lists and --ivf-probes, checked: null for exact search. */
  BankBuilder.Ivf ivf() {
    return BankBuilder.Ivf.parse(index, ivfLists, ivfProbes);
  }

  @Override
  public Integer call() throws Exception {
    ivf(); // checked before any data is read
    if (trainGood != null && !trainGood.isEmpty()) {
      if (!Files.isDirectory(Path.of(dataset, MvtecLayout.TEST))) {
        throw new IllegalArgumentException(
            "--train-good needs --dataset to be one folder with test/ (was '" + dataset + "')");
      }
      return evaluateImages(null);
    }
    if (!dataset.equals("magnetic-tile") && isMvtecDataset(Path.of(dataset))) {
      return evaluateImages(null);
    }
    if (SceneFiles.isSceneDataset(dataset)) {
      return evaluateScenes();
    }
    if (!dataset.equals("magnetic-tile")) {
      throw new IllegalArgumentException(
          "--dataset must be magnetic-tile, abu, hydice, an MVTec-layout folder (a class with"
              + " train/good/, or a folder of such classes) or a directory of .mat scenes (was '"
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
    return evaluateImages(MagneticTile.resolveRoot(dir));
  }

  /** A folder that is an MVTec-layout class or holds some (and so is not a folder of scenes). */
  static boolean isMvtecDataset(Path dir) {
    if (!Files.isDirectory(dir)) {
      return false;
    }
    try {
      return !MvtecLayout.findClasses(dir).isEmpty();
    } catch (IOException e) {
      return false;
    }
  }

  /** One class to evaluate: how to read its images (run inside the class's failure isolation). */
  private record ClassTask(String name, Callable<LabeledSplit> read) {}

  private record LabeledSplit(
      List<LabeledImage> train, List<LabeledImage> heldOut, List<LabeledImage> test) {}

  /** Splits off the seeded calibration hold-out, as fit --calibration-holdout does. */
  private LabeledSplit withHoldout(List<LabeledImage> train, List<LabeledImage> test) {
    if (calibrationHoldout == 0 || calibrationFolds > 0) {
      return new LabeledSplit(train, List.of(), test);
    }
    List<LabeledImage> shuffled = new ArrayList<>(train);
    java.util.Collections.shuffle(shuffled, new java.util.Random(seed));
    int held = (int) Math.round(train.size() * calibrationHoldout);
    if (held < 2 || train.size() - held < 1) {
      throw new IllegalArgumentException(
          "--calibration-holdout "
              + calibrationHoldout
              + " of "
              + train.size()
              + " training images leaves "
              + held
              + " to calibrate on; need at least 2 and one to fit (a larger fraction, or 0)");
    }
    return new LabeledSplit(
        List.copyOf(shuffled.subList(held, shuffled.size())),
        List.copyOf(shuffled.subList(0, held)),
        test);
  }

  /**
   * Magnetic Tile (its root given) or the MVTec-layout classes under --dataset (root null): each
   * class with each method; a class that fails gets its error in the tables and the run goes on.
   */
  private int evaluateImages(Path magneticTileRoot) throws Exception {
    backbone.validate();
    KnnPrecision.parse(knnPrecision);
    BankBuilder.validateCalibration(calibrationHoldout, calibrationFolds, falseAlarmRate);
    java.util.regex.Pattern groups = calibrationGroups.pattern(calibrationFolds);
    Tiling tiling = tilingOptions.tiling();
    int imageTopK = imageScore.topK(); // fails before any image is read
    List<LongTailFitter.Method> methodList =
        methods.stream().map(LongTailFitter.Method::parse).distinct().toList();
    LongTailFitter.Options longTailOptions = longTail.options();
    List<ClassTask> tasks = new ArrayList<>();
    String title;
    if (magneticTileRoot != null) {
      title = dataset;
      tasks.add(
          new ClassTask(
              dataset,
              () -> {
                MagneticTile.Split split =
                    MagneticTile.split(magneticTileRoot, trainFraction, seed);
                return withHoldout(split.train(), split.test());
              }));
    } else {
      Path root = Path.of(dataset);
      title = root.toAbsolutePath().normalize().getFileName().toString();
      List<java.nio.file.PathMatcher> only =
          classGlobs.stream()
              .map(g -> java.nio.file.FileSystems.getDefault().getPathMatcher("glob:" + g))
              .toList();
      List<Path> classDirs =
          trainGood != null && !trainGood.isEmpty() ? List.of(root) : MvtecLayout.findClasses(root);
      for (Path classDir : classDirs) {
        String name = MvtecLayout.name(root, classDir);
        if (!only.isEmpty() && only.stream().noneMatch(m -> m.matches(Path.of(name)))) {
          continue;
        }
        tasks.add(
            new ClassTask(
                name,
                () -> {
                  MvtecLayout.MvtecClass c =
                      trainGood != null && !trainGood.isEmpty()
                          ? MvtecLayout.read(classDir, name, trainGood)
                          : MvtecLayout.read(classDir, name);
                  return withHoldout(c.train(), c.test());
                }));
      }
    }
    if (tasks.isEmpty()) {
      throw new IllegalArgumentException(
          "--classes " + String.join(",", classGlobs) + " matches no class under " + dataset);
    }
    BankBuilder.Ivf ivf = ivf();
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
    String recipe =
        String.format(
            Locale.ROOT,
            "Backbone %s (%s), %s%s; coreset %s %.3f; kNN %s%s; test images' backbone %s",
            model.id(),
            backbone.provider(),
            tiling == null ? "" : tiling + ", each tile ",
            fit.preprocessing(),
            fit.method(),
            coreset,
            knnPrecision,
            ivf == null
                ? ""
                : String.format(
                    Locale.ROOT,
                    " through an IVF index (%s lists, %d probed)",
                    ivf.lists() > 0 ? Integer.toString(ivf.lists()) : "4 sqrt(N)",
                    ivf.probes()),
            backbone.precision().name().toLowerCase(Locale.ROOT));
    System.err.printf(
        Locale.ROOT,
        "evaluate %s: %d class(es) x %s; %s; calibration hold-out %.2f at false-alarm rate %.3f%n",
        title,
        tasks.size(),
        methodList.stream().map(LongTailFitter.Method::id).toList(),
        recipe,
        calibrationHoldout,
        falseAlarmRate);
    long started = System.nanoTime();
    List<ClassOutcome> outcomes = new ArrayList<>();
    List<String> methodLabels = new ArrayList<>();
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
                backbone.provider(), backbone.threads, KnnPrecision.parse(knnPrecision))) {
      PatchCoreEvaluation evaluation =
          new PatchCoreEvaluation(
                  extractor,
                  scoringExtractor == null ? extractor : scoringExtractor,
                  knn,
                  scoringKnn,
                  fit,
                  detect)
              .withTiling(tiling)
              .withCalibrationFolds(calibrationFolds)
              .withCalibrationGroups(groups)
              .withImageTopK(imageTopK)
              .withIvf(ivf == null ? -1 : ivf.lists());
      if (ivf != null) {
        scoringKnn.ivfProbes(ivf.probes());
      }
      methodList.forEach(m -> methodLabels.add(evaluation.withMethod(m, longTailOptions).label()));
      int index = 0;
      for (ClassTask task : tasks) {
        index++;
        LabeledSplit split = null;
        Exception readError = null;
        try {
          split = task.read().call();
        } catch (Exception e) {
          readError = e;
        }
        for (LongTailFitter.Method method : methodList) {
          long t0 = System.nanoTime();
          PatchCoreEvaluation byMethod = evaluation.withMethod(method, longTailOptions);
          String label =
              String.format(
                  Locale.ROOT,
                  "[%d/%d] %s (%s)",
                  index,
                  tasks.size(),
                  task.name(),
                  byMethod.label());
          ClassOutcome outcome;
          if (readError != null) {
            outcome = ClassOutcome.failed(task.name(), byMethod.label(), readError, 0);
          } else {
            System.err.printf(
                Locale.ROOT,
                "%s: %d train (+%d held out), %d test images%n",
                label,
                split.train().size(),
                split.heldOut().size(),
                split.test().size());
            try {
              EvaluationResult r = runOne(byMethod, task.name(), split);
              outcome = ClassOutcome.ok(task.name(), r, (System.nanoTime() - t0) / 1e9);
              if (plots) {
                EvaluationPlots.write(
                    r, task.name(), outDir.resolve("plots"), fileStem(task.name(), r.method()));
              }
            } catch (Exception e) {
              outcome =
                  ClassOutcome.failed(task.name(), method.id(), e, (System.nanoTime() - t0) / 1e9);
              LOG.warn("{} failed", label, e);
            }
          }
          outcomes.add(outcome);
          System.err.println(label + ": " + summary(outcome));
        }
      }
    }
    PoolReport.Setup setup =
        new PoolReport.Setup(
            title,
            methodLabels,
            recipe,
            calibrationHoldout,
            calibrationFolds,
            groups == null ? null : groups.pattern(),
            falseAlarmRate,
            (System.nanoTime() - started) / 1e9,
            Math.max(1, Runtime.getRuntime().availableProcessors()));
    Path table;
    if (magneticTileRoot != null && methodList.size() == 1 && !outcomes.get(0).failed()) {
      // Magnetic Tile's own table: its defect types (the pool report adds the class summary)
      table = outDir.resolve("evaluation-" + dataset + ".md");
      Files.writeString(
          table, "# " + dataset + " evaluation\n\n" + outcomes.get(0).result().markdown());
      PoolReport.writeJson(setup, outcomes, outDir.resolve("evaluation-" + dataset + ".json"));
      System.out.println(Files.readString(table));
    } else {
      table = PoolReport.write(setup, outcomes, outDir, "evaluation-" + fileStem(title, null));
      System.out.println(Files.readString(table));
    }
    System.out.println(
        "table written to "
            + table
            + (plots ? ", ROC curves and score histograms under " + outDir.resolve("plots") : ""));
    lastOutcomes = List.copyOf(outcomes);
    lastResult = outcomes.get(0).failed() ? null : new Result(outcomes.get(0).result(), table);
    long failed = outcomes.stream().filter(ClassOutcome::failed).count();
    if (failed > 0) {
      System.err.printf(
          Locale.ROOT,
          "%d of %d evaluations failed (their errors are in the table); exit code %d%n",
          failed,
          outcomes.size(),
          FAILED_EXIT_CODE);
      return FAILED_EXIT_CODE;
    }
    return 0;
  }

  /** The exit code of a run in which some class or method failed (the rest was still reported). */
  static final int FAILED_EXIT_CODE = 3;

  private static String fileStem(String name, String method) {
    String stem = name.replaceAll("[^A-Za-z0-9._-]+", "-");
    return method == null ? stem : stem + "-" + method.replaceAll("[^A-Za-z0-9._-]+", "-");
  }

  private static String summary(ClassOutcome o) {
    if (o.failed()) {
      return "FAILED: " + o.error();
    }
    EvaluationResult.Row all = o.result().overall();
    EvaluationResult.AtThreshold t = o.result().atThreshold();
    return String.format(
        Locale.ROOT,
        "image AUROC %.4f, pixel AUROC %s, F1-max %.4f%s in %.0f s",
        all.imageAuroc(),
        Double.isNaN(all.pixelAuroc())
            ? "- (no masks)"
            : String.format(Locale.ROOT, "%.4f", all.pixelAuroc()),
        all.f1Max(),
        t == null
            ? ""
            : String.format(
                Locale.ROOT,
                "; at the threshold %d/%d false alarms, recall %d/%d",
                t.falseAlarms(),
                t.normals(),
                t.detected(),
                t.anomalous()),
        o.seconds());
  }

  private EvaluationResult runOne(PatchCoreEvaluation evaluation, String name, LabeledSplit split)
      throws Exception {
    Path mapDir = outDir.resolve("maps");
    String mapPrefix = dataset.equals("magnetic-tile") ? "" : fileStem(name, null) + "/";
    Map<String, Integer> written = new HashMap<>();
    try (ProgressBar embedBar = new ProgressBar("embed");
        ProgressBar copiesBar = new ProgressBar("embed tail copies");
        ProgressBar coresetBar = new ProgressBar("coreset");
        ProgressBar calibrateBar = new ProgressBar("calibrate");
        ProgressBar scoreBar = new ProgressBar("score")) {
      PatchCoreEvaluation.Listener listener =
          new PatchCoreEvaluation.Listener() {
            @Override
            public Progress embedProgress() {
              return embedBar;
            }

            @Override
            public Progress tailCopiesProgress() {
              return copiesBar;
            }

            @Override
            public Progress coresetProgress() {
              return coresetBar;
            }

            @Override
            public Progress calibrationProgress() {
              return calibrateBar;
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
                Path typeDir = mapDir.resolve(mapPrefix + image.type());
                Files.createDirectories(typeDir);
                String file =
                    image.image().getFileName().toString().replaceFirst("\\.[^.]+$", "") + ".png";
                Files.write(
                    typeDir.resolve(file),
                    Heatmaps.png(Heatmaps.overlayOwnRange(frame, d.map(), d.mapSize())));
              } catch (IOException e) {
                throw new UncheckedIOException(e);
              }
            }
          };
      return evaluation.run(
          name, split.train(), split.heldOut(), falseAlarmRate, split.test(), listener);
    }
  }
}
