package io.tailwatch.tools;

import io.tailwatch.detector.bank.CoresetMethod;
import io.tailwatch.detector.bank.PatchCoreFitter;
import io.tailwatch.detector.data.MagneticTile;
import io.tailwatch.detector.features.BackboneModel;
import io.tailwatch.detector.features.FeatureExtractor;
import io.tailwatch.detector.features.PatchEmbeddingSpec;
import io.tailwatch.detector.image.Preprocessing;
import io.tailwatch.detector.knn.OnnxKnnScorer;
import io.tailwatch.detector.tail.LongTailFitter;
import io.tailwatch.detector.tail.TailAugmentation;
import io.tailwatch.detector.util.Progress;
import io.tailwatch.detector.util.SharedDirs;
import io.tailwatch.tools.benchmark.AurocPlot;
import io.tailwatch.tools.benchmark.LongTailManifest;
import io.tailwatch.tools.benchmark.LongTailPool;
import io.tailwatch.tools.benchmark.LongTailReport;
import io.tailwatch.tools.benchmark.LongTailRun;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SortedMap;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code bench longtail build} writes long-tailed noisy benchmark manifests (TailedCore protocol,
 * ALGORITHMS.md §2) over a pool of classes: the simulator's product variants plus Magnetic Tile;
 * {@code bench longtail run} runs PatchCore, SoftPatch and TailedCore on them and writes markdown
 * tables and AUROC-vs-noise plots.
 */
@Command(
    name = "longtail",
    mixinStandardHelpOptions = true,
    description =
        "Detection quality on long-tailed noisy training sets: PatchCore vs SoftPatch vs TailedCore.",
    subcommands = {LongtailBench.Build.class, LongtailBench.Run.class})
final class LongtailBench implements Runnable {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new picocli.CommandLine.ParameterException(
        spec.commandLine(), "bench longtail needs a subcommand: build or run");
  }

  /** Where Magnetic Tile is, or null when it is left out. */
  static Path magneticTile(Path dataDir, boolean without) throws IOException {
    if (without) {
      return null;
    }
    Path dir =
        dataDir != null
            ? dataDir
            : SharedDirs.fromEnv(SharedDirs.DATA_DIR)
                .orElseThrow(
                    () ->
                        new IllegalArgumentException(
                            "Magnetic Tile is part of the pool: set TAILWATCH_DATA_DIR or --data-dir "
                                + "(or leave it out with --no-magnetic-tile)"));
    return MagneticTile.resolveRoot(dir);
  }

  @Command(
      name = "build",
      mixinStandardHelpOptions = true,
      description =
          "Write one manifest per tail x noise ratio x seed: which images each class contributes.")
  static final class Build implements Callable<Integer> {
    @Option(
        names = "--tail",
        split = ",",
        defaultValue = "step-k4,pareto",
        description = "step-k1, step-k4, pareto. Default: ${DEFAULT-VALUE}.")
    List<String> tails;

    @Option(
        names = "--noise",
        split = ",",
        defaultValue = "0.1",
        description = "Noise ratios. Default: ${DEFAULT-VALUE}.")
    List<Double> noise;

    @Option(
        names = "--seeds",
        split = ",",
        defaultValue = "1,2,3,4,5",
        description = "Default: ${DEFAULT-VALUE}.")
    List<Long> seeds;

    @Option(
        names = "--pool",
        defaultValue = "100",
        description =
            "Normal training images available per class (the head size). Default: ${DEFAULT-VALUE}.")
    int pool;

    @Option(
        names = "--test",
        defaultValue = "15",
        description = "Normal and defective test images per class. Default: ${DEFAULT-VALUE}.")
    int test;

    @Option(
        names = "--size",
        defaultValue = "128",
        description = "Simulated frame side. Default: ${DEFAULT-VALUE}.")
    int size;

    @Option(names = "--simulator-seed", defaultValue = "7")
    long simulatorSeed;

    @Option(
        names = "--data-dir",
        description = "Data folder with Magnetic Tile (default: $TAILWATCH_DATA_DIR).")
    Path dataDir;

    @Option(names = "--no-magnetic-tile", description = "Simulated classes only.")
    boolean noMagneticTile;

    @Option(
        names = "--real",
        description =
            "A folder of MVTec-layout classes (e.g. $TAILWATCH_DATA_DIR/industrial): each class"
                + " with train/good/ joins the pool; real images are read at --size.")
    Path real;

    @Option(names = "--no-simulated", description = "No simulated classes (real ones only).")
    boolean noSimulated;

    @Option(
        names = "--out-dir",
        defaultValue = "experiments/longtail",
        description = "Default: ${DEFAULT-VALUE}.")
    Path out;

    @Override
    public Integer call() throws Exception {
      if (pool < 21 || test < 2) {
        throw new IllegalArgumentException(
            "need --pool > 20 (the pareto tail's noisy classes) and --test >= 2");
      }
      if (noSimulated && real == null && noMagneticTile) {
        throw new IllegalArgumentException(
            "--no-simulated and --no-magnetic-tile leave no classes: give --real DIR");
      }
      LongTailPool classes =
          new LongTailPool(
              simulatorSeed, size, pool, magneticTile(dataDir, noMagneticTile), real, !noSimulated);
      int written = 0;
      for (String tail : tails) {
        for (double n : noise) {
          for (long seed : seeds) {
            LongTailManifest m = classes.build(tail, n, seed, test);
            Path file = m.write(out);
            StringBuilder sizes = new StringBuilder();
            m.classes()
                .forEach(
                    c ->
                        sizes.append(
                            String.format(
                                Locale.ROOT,
                                " %s=%d%s%s",
                                c.name(),
                                c.train().size(),
                                c.noise().isEmpty() ? "" : "+" + c.noise().size(),
                                c.tail() ? "(tail)" : "")));
            System.out.printf(Locale.ROOT, "%s:%s%n", file, sizes);
            written++;
          }
        }
      }
      System.out.printf(Locale.ROOT, "%d manifests in %s%n", written, out);
      return 0;
    }
  }

  @Command(
      name = "run",
      mixinStandardHelpOptions = true,
      description =
          "Run PatchCore, SoftPatch and TailedCore on manifests; print and write tables and plots.")
  static final class Run implements Callable<Integer> {
    @Parameters(
        arity = "1..*",
        paramLabel = "MANIFEST",
        description = "Manifest files, or folders of them.")
    List<Path> manifests;

    @Option(
        names = "--methods",
        split = ",",
        defaultValue = "patchcore,softpatch,tailedcore",
        description = "Default: ${DEFAULT-VALUE}.")
    List<String> methods;

    @Option(
        names = "--tail-augmentation",
        defaultValue = "rot30flip",
        description = "TailedCore copies. Default: ${DEFAULT-VALUE}.")
    String augmentation;

    @Option(names = "--coreset", defaultValue = "0.1")
    double coreset;

    @Option(
        names = "--data-dir",
        description = "Data folder with Magnetic Tile (default: $TAILWATCH_DATA_DIR).")
    Path dataDir;

    @Option(
        names = "--real",
        description =
            "The folder of MVTec-layout classes the manifests' real: images are under (default:"
                + " $TAILWATCH_DATA_DIR/industrial).")
    Path real;

    @Option(
        names = "--out-dir",
        defaultValue = "target/benchmark",
        description = "results.md and plots. Default: ${DEFAULT-VALUE}.")
    Path out;

    @Mixin BackboneOptions backbone;

    @Mixin PreprocessingOptions preprocessing;

    @Override
    public Integer call() throws Exception {
      backbone.validate();
      Preprocessing prep = preprocessing.toPreprocessing();
      List<LongTailFitter.Method> chosen =
          methods.stream().map(LongTailFitter.Method::parse).toList();
      List<Path> files = new ArrayList<>();
      for (Path p : manifests) {
        if (Files.isDirectory(p)) {
          try (Stream<Path> s = Files.list(p)) {
            s.filter(f -> f.toString().endsWith(".json")).sorted().forEach(files::add);
          }
        } else {
          files.add(p);
        }
      }
      if (files.isEmpty()) {
        throw new IllegalArgumentException(
            "no manifests in " + manifests + " (bench longtail build writes them)");
      }
      List<LongTailManifest> loaded = new ArrayList<>();
      for (Path f : files) {
        loaded.add(LongTailManifest.read(f));
      }
      boolean needsMt =
          loaded.stream()
              .anyMatch(
                  m ->
                      m.classes().stream()
                          .anyMatch(c -> c.name().equals(LongTailPool.MAGNETIC_TILE)));
      Path mt = needsMt ? magneticTile(dataDir, false) : null;
      boolean needsReal =
          loaded.stream()
              .anyMatch(
                  m ->
                      m.classes().stream()
                          .anyMatch(
                              c -> !c.train().isEmpty() && c.train().get(0).startsWith("real:")));
      Path realRoot =
          !needsReal
              ? null
              : real != null
                  ? real
                  : SharedDirs.fromEnv(SharedDirs.DATA_DIR)
                      .map(d -> d.resolve("industrial"))
                      .orElseThrow(
                          () ->
                              new IllegalArgumentException(
                                  "the manifests use real classes: set TAILWATCH_DATA_DIR or"
                                      + " --real"));
      BackboneModel model = backbone.loadBackbone(null);
      PatchEmbeddingSpec embedding = backbone.spec(model);
      List<LongTailRun.Result> results = new ArrayList<>();
      long start = System.nanoTime();
      try (FeatureExtractor extractor = backbone.openExtractor(model, embedding);
          OnnxKnnScorer knn = OnnxKnnScorer.open(backbone.provider(), backbone.threads)) {
        for (LongTailManifest m : loaded) {
          System.err.printf(Locale.ROOT, "%s: %d training images%n", m.fileName(), m.trainImages());
          LongTailPool pool = new LongTailPool(m.simulatorSeed(), m.size(), 0, mt, realRoot, true);
          PatchCoreFitter fitter =
              new PatchCoreFitter(
                  extractor,
                  new PatchCoreFitter.Options(
                      coreset, CoresetMethod.APPROXIMATE, 128, m.seed(), 16, prep),
                  knn.nearestCentres());
          LongTailFitter longTail =
              new LongTailFitter(
                  fitter,
                  LongTailFitter.Options.DEFAULT.withAugmentation(
                      TailAugmentation.parse(augmentation)));
          LongTailRun.Result r =
              new LongTailRun(pool, fitter, longTail, knn).run(m, chosen, new Bars());
          results.add(r);
          for (LongTailRun.MethodResult mr : r.methods()) {
            System.err.printf(
                Locale.ROOT,
                "  %-10s image AUROC %.4f, pixel AUROC %.4f, fit %.1f s, bank %,d%n",
                mr.method(),
                mr.meanImageAuroc(),
                mr.meanPixelAuroc(),
                mr.fitSeconds(),
                mr.bankSize());
          }
          if (!Double.isNaN(r.tailRecall())) {
            System.err.printf(
                Locale.ROOT,
                "  TailSampler: recall %.3f, precision %.3f%n",
                r.tailRecall(),
                r.tailPrecision());
          }
        }
      }
      String report = LongTailReport.markdown(results, (System.nanoTime() - start) / 1e9);
      System.out.print(report);
      Files.createDirectories(out);
      Files.writeString(out.resolve("results.md"), report);
      for (Map.Entry<String, Map<String, SortedMap<Double, Double>>> e :
          LongTailReport.curves(results).entrySet()) {
        Path png = out.resolve("auroc-vs-noise-" + e.getKey() + ".png");
        AurocPlot.write(png, "Mean image AUROC, " + e.getKey() + " tail", e.getValue());
        System.err.println("plot: " + png);
      }
      return 0;
    }
  }

  /** A progress bar per step, closed when the step is done. */
  private static final class Bars implements LongTailRun.Bars {
    private final Map<String, ProgressBar> open = new HashMap<>();

    @Override
    public Progress bar(String name) {
      return open.computeIfAbsent(name, ProgressBar::new);
    }

    @Override
    public void done(String name) {
      ProgressBar bar = open.remove(name);
      if (bar != null) {
        bar.close();
      }
    }
  }
}
