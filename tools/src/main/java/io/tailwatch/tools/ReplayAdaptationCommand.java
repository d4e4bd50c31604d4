package io.tailwatch.tools;

import io.tailwatch.detector.bank.CoresetMethod;
import io.tailwatch.detector.bank.PatchCoreFitter;
import io.tailwatch.detector.features.BackboneModel;
import io.tailwatch.detector.features.FeatureExtractor;
import io.tailwatch.detector.features.PatchEmbeddingSpec;
import io.tailwatch.detector.image.ImageSource;
import io.tailwatch.detector.knn.OnnxKnnScorer;
import io.tailwatch.detector.online.AdaptationReplay;
import io.tailwatch.detector.online.OnlineDecision;
import io.tailwatch.detector.online.OnlineScoreStatistics;
import io.tailwatch.detector.scoring.DetectorOptions;
import io.tailwatch.detector.scoring.PatchCoreDetector;
import io.tailwatch.detector.sim.ProductLineSimulator;
import io.tailwatch.detector.sim.RareVariantStream;
import io.tailwatch.detector.stats.ScoreTarget;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code replay-adaptation}: the online adaptation loop (ALGORITHMS.md §6) over the rare-variant
 * stream, frame by frame and deterministic ({@link AdaptationReplay}), for several stream seeds and
 * both reservoir weightings: what the job's {@code OnlineAdaptationITCase} measures, without its
 * timing noise.
 */
@Command(
    name = "replay-adaptation",
    mixinStandardHelpOptions = true,
    description =
        "Replay the online adaptation loop (statistics, adaptive threshold, weighted reservoir, bank "
            + "updates) over a simulated line with a rare normal variant, deterministically; a markdown table of the "
            + "rare variant's false alarms, defect recall and normal-score skewness, first vs last quarter.")
final class ReplayAdaptationCommand implements Callable<Integer> {
  @Option(
      names = "--scenario",
      defaultValue = "rare-variant",
      description =
          "rare-variant: the table below (rare normal variant, scattered defects); sustained-defect: "
              + "--normal-before normal frames, --defect-run defective ones (a broken tool), --normal-after "
              + "normal ones, printing the defect run's recall, the false-alarm rates around it and the drift "
              + "records; outlier: the threshold shift one score 1000x the median causes, on the real scores "
              + "of a normal run. Default: ${DEFAULT-VALUE}.")
  String scenario;

  @Option(
      names = "--normal-before",
      defaultValue = "2000",
      description = "sustained-defect: normal frames before the run. Default: ${DEFAULT-VALUE}.")
  int normalBefore;

  @Option(
      names = "--defect-run",
      defaultValue = "5000",
      description = "sustained-defect: defective frames in a row. Default: ${DEFAULT-VALUE}.")
  int defectRun;

  @Option(
      names = "--normal-after",
      defaultValue = "2000",
      description = "sustained-defect: normal frames after the run. Default: ${DEFAULT-VALUE}.")
  int normalAfter;

  @Option(
      names = "--frames",
      defaultValue = "6000",
      description = "Frames per run. Default: ${DEFAULT-VALUE}.")
  int frames;

  @Option(
      names = "--seeds",
      defaultValue = "0,1,2,3",
      split = ",",
      description =
          "Stream seeds: seed s replays frames 10000 + 100000 s + i of the line. Default: ${DEFAULT-VALUE}.")
  List<Integer> seeds;

  @Option(
      names = "--weighting",
      defaultValue = "gaussian,uniform",
      split = ",",
      description =
          "Reservoir weightings to run: gaussian (w(s), §6), uniform (w = 1). Default: ${DEFAULT-VALUE}.")
  List<String> weightings;

  @Option(
      names = "--threshold",
      defaultValue = "adaptive",
      description =
          "adaptive ((1 - alpha) quantile after --min-frames) or fixed (the bank's). Default: ${DEFAULT-VALUE}.")
  String threshold;

  @Option(
      names = "--rare-finish",
      defaultValue = "grain",
      description =
          "The rare variant's finish, blended over the brushed one: grain, washer, mesh, perforated. "
              + "Default: ${DEFAULT-VALUE}.")
  String rareFinish;

  @Option(
      names = "--rare-share",
      defaultValue = "0.45",
      description =
          "The rare variant: this share of the rare finish over the brushed texture; at 0.45 its scores"
              + " straddle the threshold (what the weighting can learn), at 0.6 it alerts on every frame"
              + " (only an accepted drift teaches it). Default: ${DEFAULT-VALUE}.")
  double rareShare;

  @Option(
      names = "--defect-strength",
      defaultValue = "1",
      description =
          "Defects blended at this share over the same frame without them, in (0, 1]: below 1 they are "
              + "faint and score near the threshold (what the weighting must not learn). Default: ${DEFAULT-VALUE}.")
  double defectStrength;

  @Option(
      names = "--same-defect",
      description =
          "Every defect is the same crack (a recurring mark) instead of each "
              + "its own: what learning a missed faint defect would hide.")
  boolean sameDefect;

  @Option(
      names = "--rare-every",
      defaultValue = "50",
      description = "One rare frame in this many. Default: ${DEFAULT-VALUE}.")
  int rareEvery;

  @Option(
      names = "--defect-every",
      defaultValue = "97",
      description = "One defect in this many. Default: ${DEFAULT-VALUE}.")
  int defectEvery;

  @Option(
      names = "--size",
      defaultValue = "64",
      description = "Simulated frame size in px. Default: ${DEFAULT-VALUE}.")
  int size;

  @Option(
      names = "--train",
      defaultValue = "60",
      description =
          "Majority frames for the initial bank (20%% of them calibrate its threshold). Default: ${DEFAULT-VALUE}.")
  int train;

  @Option(
      names = "--coreset",
      defaultValue = "0.25",
      description = "Initial bank's coreset fraction. Default: ${DEFAULT-VALUE}.")
  double coreset;

  @Option(
      names = "--update-every",
      defaultValue = "400",
      description =
          "Frames between bank updates (the job: bank-update.interval x frame rate). Default: ${DEFAULT-VALUE}.")
  int updateEvery;

  @Option(
      names = "--sample-frames",
      defaultValue = "32",
      description = "bank-update.sample-frames. Default: ${DEFAULT-VALUE}.")
  int sampleFrames;

  @Option(
      names = "--patches-per-frame",
      defaultValue = "64",
      description = "bank-update.patches-per-frame. Default: ${DEFAULT-VALUE}.")
  int patchesPerFrame;

  @Option(
      names = "--max-added",
      defaultValue = "1024",
      description = "bank-update.max-added. Default: ${DEFAULT-VALUE}.")
  int maxAdded;

  @Option(
      names = "--max-bank-size",
      defaultValue = "200000",
      description = "bank-update.max-bank-size (the job's default). Default: ${DEFAULT-VALUE}.")
  int maxBankSize;

  @Option(
      names = "--half-life",
      defaultValue = "2000",
      description = "statistics.half-life (frames). Default: ${DEFAULT-VALUE}.")
  double halfLife;

  @Option(
      names = "--false-alarm-rate",
      defaultValue = "0.01",
      description =
          "threshold.false-alarm-rate (also the initial bank's calibration). Default: ${DEFAULT-VALUE}.")
  double falseAlarmRate;

  @Option(
      names = "--min-frames",
      defaultValue = "200",
      description = "threshold.min-frames. Default: ${DEFAULT-VALUE}.")
  int minFrames;

  @Option(
      names = "--min-factor",
      defaultValue = "0.5",
      description = "threshold.min-factor. Default: ${DEFAULT-VALUE}.")
  double minFactor;

  @Option(
      names = "--max-factor",
      defaultValue = "2",
      description = "threshold.max-factor. Default: ${DEFAULT-VALUE}.")
  double maxFactor;

  @Option(
      names = "--drift-window",
      defaultValue = "500",
      description = "drift.window (frames). Default: ${DEFAULT-VALUE}.")
  int driftWindow;

  @Option(
      names = "--drift-share",
      defaultValue = "0.1",
      description = "drift.alert-share. Default: ${DEFAULT-VALUE}.")
  double driftShare;

  @Option(
      names = "--target",
      defaultValue = "quantile",
      description =
          "statistics.target: robust, moment, flat or quantile. Default: ${DEFAULT-VALUE}.")
  String target;

  @Option(
      names = "--weight-min",
      defaultValue = "0.1",
      description = "statistics.weight-min. Default: ${DEFAULT-VALUE}.")
  double weightMin;

  @Option(
      names = "--weight-max",
      defaultValue = "10",
      description = "statistics.weight-max. Default: ${DEFAULT-VALUE}.")
  double weightMax;

  @Option(
      names = "--batch",
      defaultValue = "8",
      description = "Frames per inference batch. Default: ${DEFAULT-VALUE}.")
  int batch;

  @Option(
      names = "--weight-exponent",
      defaultValue = "3",
      description =
          "bank-update.weight-exponent: reservoir priority weight w(s)^x. Default: ${DEFAULT-VALUE}.")
  double weightExponent;

  @Option(
      names = "--resolution-quantile",
      defaultValue = "0.97",
      description =
          "bank-update.resolution-quantile: a candidate patch within this quantile of the bank's "
              + "nearest-neighbour spacing is covered (0 = only exact copies). Default: ${DEFAULT-VALUE}.")
  double resolutionQuantile;

  @Option(names = "--out", description = "Also write the table to this markdown file.")
  Path out;

  @Option(
      names = "--outcomes-out",
      description =
          "Also write every frame's outcome (seed, reservoir, frame, group, score, threshold, alerted, "
              + "weight, bank version) to this CSV file.")
  Path outcomesOut;

  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Mixin PreprocessingOptions preprocessing;

  @Mixin BackboneOptions backbone;

  /** One run's figures over the first and last quarter. */
  record Row(
      int seed,
      String weighting,
      int rareFirst,
      int rareFirstAlerts,
      int rareLast,
      int rareLastAlerts,
      int rareAll,
      int rareAllAlerts,
      int defectsFirst,
      int defectsFirstCaught,
      int defectsLast,
      int defectsLastCaught,
      double skewFirst,
      double skewLast,
      double majoritySkewFirst,
      double majoritySkewLast,
      double statisticsSkewFirst,
      double statisticsSkewLast,
      int versions,
      int rareSampled,
      double rareWeight,
      double normalWeight) {
    String line() {
      return String.format(
          Locale.ROOT,
          "| %s | %s | %d/%d (%.3f) | %d/%d (%.3f) | %s | %d/%d (%.3f) | %.3f | %.3f | %.2f | %.2f "
              + "| %.2f | %.2f | %.2f | %.2f | %d | %d | %s | %s |",
          seed < 0 ? "all" : Integer.toString(seed),
          weighting,
          rareFirstAlerts,
          rareFirst,
          rate(rareFirstAlerts, rareFirst),
          rareLastAlerts,
          rareLast,
          rate(rareLastAlerts, rareLast),
          fall(),
          rareAllAlerts,
          rareAll,
          rate(rareAllAlerts, rareAll),
          rate(defectsFirstCaught, defectsFirst),
          rate(defectsLastCaught, defectsLast),
          skewFirst,
          skewLast,
          majoritySkewFirst,
          majoritySkewLast,
          statisticsSkewFirst,
          statisticsSkewLast,
          versions,
          rareSampled,
          Double.isNaN(rareWeight) ? "-" : String.format(Locale.ROOT, "%.2f", rareWeight),
          Double.isNaN(normalWeight) ? "-" : String.format(Locale.ROOT, "%.2f", normalWeight));
    }

    String fall() {
      if (rareLastAlerts == 0) {
        return rareFirstAlerts == 0 ? "-" : "to zero";
      }
      return String.format(
          Locale.ROOT, "%.1fx", rate(rareFirstAlerts, rareFirst) / rate(rareLastAlerts, rareLast));
    }

    static double rate(int k, int n) {
      return n == 0 ? Double.NaN : k / (double) n;
    }
  }

  static final String HEADER =
      "| seed | reservoir | rare FA, first quarter | rare FA, last quarter | fall | rare FA, whole run "
          + "| defect recall, first | last | normal skewness, first | last | majority only, first | last "
          + "| statistics' skewness, end of first quarter | at the end | bank versions "
          + "| rare frames sampled | mean w offered, rare | normal |\n"
          + "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|";

  @Override
  public Integer call() throws Exception {
    backbone.validate();
    validate();
    boolean adaptive = threshold.equals("adaptive");
    ProductLineSimulator.Variant finish = rareFinish();
    OnlineScoreStatistics.Config stats =
        new OnlineScoreStatistics.Config(
            OnlineScoreStatistics.Config.DEFAULT_BINS,
            halfLife,
            falseAlarmRate,
            minFrames,
            weightMin,
            weightMax,
            8,
            16,
            ScoreTarget.parse(target),
            minFactor,
            maxFactor,
            driftWindow,
            driftShare);
    ProductLineSimulator line = new ProductLineSimulator(5, size, 0.0);
    List<ImageSource> trainImages = new ArrayList<>();
    List<ImageSource> holdout = new ArrayList<>();
    int fit = Math.max(1, (int) Math.round(train * 0.8));
    for (int i = 0; i < train; i++) {
      ImageSource s =
          ImageSource.of(
              "n" + i, line.frame(i, ProductLineSimulator.Variant.BRUSHED, null).toFloatImage());
      (i < fit ? trainImages : holdout).add(s);
    }
    BackboneModel model = backbone.loadBackbone(null);
    PatchEmbeddingSpec spec = backbone.spec(model);
    List<Row> rows = new ArrayList<>();
    List<SeedRun> outcomes = new ArrayList<>();
    try (FeatureExtractor extractor = backbone.openExtractor(model, spec);
        OnnxKnnScorer knn = OnnxKnnScorer.open(backbone.provider(), backbone.threads)) {
      PatchCoreFitter.Options options =
          new PatchCoreFitter.Options(
              coreset, CoresetMethod.APPROXIMATE, 128, 1, batch, preprocessing.toPreprocessing());
      BankBuilder.Result initial =
          BankBuilder.build(
              extractor, knn, options, trainImages, holdout, falseAlarmRate, "replay-bank");
      System.err.printf(
          Locale.ROOT,
          "replay-adaptation: initial bank %,d vectors, dim %d, threshold %.4f; %s "
              + "threshold, %d frames x %d seeds x %s%n",
          initial.bank().count(),
          initial.bank().dim(),
          initial.calibration().threshold(),
          threshold,
          frames,
          seeds.size(),
          weightings);
      try (PatchCoreDetector detector =
          new PatchCoreDetector(extractor, knn, initial.bank(), DetectorOptions.DEFAULT)) {
        if (!scenario.equals("rare-variant")) {
          for (int seed : seeds) {
            AdaptationReplay.Settings settings =
                settings(stats, adaptive, weightings.get(0).equals("gaussian"), seed);
            if (scenario.equals("sustained-defect")) {
              sustainedDefect(detector, initial, line, finish, seed, settings);
            } else {
              outlier(detector, initial, line, finish, seed, settings);
            }
          }
          return 0;
        }
        for (int seed : seeds) {
          RareVariantStream recipe =
              new RareVariantStream(
                  line,
                  rareEvery,
                  defectEvery,
                  finish,
                  rareShare,
                  10_000L + 100_000L * seed,
                  defectStrength,
                  sameDefect);
          List<AdaptationReplay.Frame> stream = new ArrayList<>(frames);
          for (int i = 0; i < frames; i++) {
            RareVariantStream.Kind k = recipe.kind(i);
            stream.add(
                new AdaptationReplay.Frame(
                    recipe.frame(i).toFloatImage(),
                    k.name().toLowerCase(Locale.ROOT),
                    k == RareVariantStream.Kind.DEFECT));
          }
          for (String w : weightings) {
            AdaptationReplay.Settings settings =
                settings(stats, adaptive, w.equals("gaussian"), seed);
            AdaptationReplay.Result r =
                replay(detector, initial, stream, settings, "seed " + seed + " " + w);
            outcomes.add(new SeedRun(seed, w, r));
            Row row = row(seed, w, r);
            rows.add(row);
            System.err.println(row.line());
            if (!r.updates().isEmpty()) {
              System.err.printf(
                  Locale.ROOT,
                  "seed %d %s: threshold %.4f at the first update (frame %d), %.4f at the "
                      + "last (frame %d); bank %,d -> %,d vectors%n",
                  seed,
                  w,
                  r.updates().get(0).threshold(),
                  r.updates().get(0).afterFrame(),
                  r.updates().get(r.updates().size() - 1).threshold(),
                  r.updates().get(r.updates().size() - 1).afterFrame(),
                  initial.bank().count(),
                  r.updates().get(r.updates().size() - 1).bankSize());
            }
          }
        }
      }
    }
    StringBuilder table = new StringBuilder(HEADER).append('\n');
    rows.forEach(r -> table.append(r.line()).append('\n'));
    if (seeds.size() > 1) {
      for (String w : weightings) {
        table
            .append(total(w, rows.stream().filter(r -> r.weighting().equals(w)).toList()).line())
            .append('\n');
      }
    }
    System.out.print(table);
    if (out != null) {
      if (out.toAbsolutePath().getParent() != null) {
        Files.createDirectories(out.toAbsolutePath().getParent());
      }
      Files.writeString(out, table.toString());
    }
    if (outcomesOut != null) {
      writeOutcomes(outcomesOut, outcomes);
    }
    return 0;
  }

  /** One replay from the initial bank and its calibrated threshold, with a progress bar. */
  private static AdaptationReplay.Result replay(
      PatchCoreDetector detector,
      BankBuilder.Result initial,
      List<AdaptationReplay.Frame> stream,
      AdaptationReplay.Settings settings,
      String label)
      throws Exception {
    try (ProgressBar bar = new ProgressBar(label)) {
      return AdaptationReplay.run(
          detector, initial.bank(), initial.calibration().threshold(), stream, settings, bar);
    }
  }

  private record SeedRun(int seed, String weighting, AdaptationReplay.Result result) {}

  private AdaptationReplay.Settings settings(
      OnlineScoreStatistics.Config stats, boolean adaptive, boolean gaussian, int seed) {
    return new AdaptationReplay.Settings(
        stats,
        adaptive,
        gaussian,
        sampleFrames,
        patchesPerFrame,
        updateEvery,
        maxAdded,
        maxBankSize,
        batch,
        7 + seed,
        weightExponent,
        resolutionQuantile);
  }

  /**
   * Frames [from, to) of the seed's line: rare variants as usual, defects on every frame or none.
   */
  private void addFrames(
      List<AdaptationReplay.Frame> out,
      ProductLineSimulator line,
      ProductLineSimulator.Variant finish,
      int seed,
      int from,
      int to,
      boolean defects) {
    RareVariantStream recipe =
        new RareVariantStream(
            line,
            rareEvery,
            Integer.MAX_VALUE,
            finish,
            rareShare,
            10_000L + 100_000L * seed,
            defectStrength,
            sameDefect);
    for (int i = from; i < to; i++) {
      RareVariantStream.Kind k = recipe.kind(i);
      if (defects && k != RareVariantStream.Kind.RARE) {
        // a broken tool: every frame of the run but the rare variant's carries a defect
        ProductLineSimulator.Defect d =
            i % 2 == 0 ? ProductLineSimulator.Defect.CRACK : ProductLineSimulator.Defect.MISSING;
        out.add(
            new AdaptationReplay.Frame(
                line.frame(10_000L + 100_000L * seed + i, ProductLineSimulator.Variant.BRUSHED, d)
                    .toFloatImage(),
                "defect",
                true));
        continue;
      }
      out.add(
          new AdaptationReplay.Frame(
              recipe.frame(i).toFloatImage(),
              k.name().toLowerCase(Locale.ROOT),
              k == RareVariantStream.Kind.DEFECT));
    }
  }

  /**
   * sustained-defect: normal, a run of defective frames, normal again; the run's recall, the
   * false-alarm rates before and after it, and the drift records.
   */
  private void sustainedDefect(
      PatchCoreDetector detector,
      BankBuilder.Result initial,
      ProductLineSimulator line,
      ProductLineSimulator.Variant finish,
      int seed,
      AdaptationReplay.Settings settings)
      throws Exception {
    List<AdaptationReplay.Frame> stream = new ArrayList<>();
    int runStart = normalBefore;
    int runEnd = normalBefore + defectRun;
    int end = runEnd + normalAfter;
    addFrames(stream, line, finish, seed, 0, runStart, false);
    addFrames(stream, line, finish, seed, runStart, runEnd, true);
    addFrames(stream, line, finish, seed, runEnd, end, false);
    AdaptationReplay.Result r =
        replay(detector, initial, stream, settings, "seed " + seed + " sustained-defect");
    int defects = r.count("defect", runStart, runEnd);
    int caught = r.alerts("defect", runStart, runEnd);
    int settle = Math.min(normalAfter, settings.statistics().driftWindow());
    List<Integer> onsets = r.driftOnsets(0, end);
    out()
        .printf(
            Locale.ROOT,
            "seed %d: calibrated threshold %.4f (bounds %.4f..%.4f)%n",
            seed,
            initial.calibration().threshold(),
            initial.calibration().threshold() * settings.statistics().minFactor(),
            initial.calibration().threshold() * settings.statistics().maxFactor());
    out()
        .printf(
            Locale.ROOT,
            "seed %d: defect-run recall: %.4f (%d/%d defective frames of frames %d..%d)%n",
            seed,
            caught / (double) Math.max(1, defects),
            caught,
            defects,
            runStart,
            runEnd - 1);
    out()
        .printf(
            Locale.ROOT,
            "seed %d: false-alarm rate before the run (frames %d..%d): %s; after the run, once its "
                + "drift window passed (frames %d..%d): %s; target %.4f%n",
            seed,
            runStart / 2,
            runStart - 1,
            normalRate(r, runStart / 2, runStart),
            runEnd + settle,
            end - 1,
            normalRate(r, runEnd + settle, end),
            settings.statistics().falseAlarmRate());
    out()
        .printf(
            Locale.ROOT,
            "seed %d: threshold %.4f before the run, %.4f at its end, %.4f at the last frame%n",
            seed,
            r.outcomes().get(runStart - 1).threshold(),
            r.outcomes().get(runEnd - 1).threshold(),
            r.outcomes().get(end - 1).threshold());
    out()
        .printf(
            Locale.ROOT,
            "seed %d: drift records: %d (onsets at frames %s); in drift at the run's end: %b, at the "
                + "last frame: %b%n",
            seed,
            onsets.size(),
            onsets,
            r.outcomes().get(runEnd - 1).drift(),
            r.outcomes().get(end - 1).drift());
  }

  /**
   * Alerts among the non-defective frames in [from, to), as "k/n (rate)", then split into the
   * majority and the rare variant when both are there.
   */
  private static String normalRate(AdaptationReplay.Result r, int from, int to) {
    String all = rate(r, from, to, o -> !o.defective());
    int rare = r.count("rare", from, to);
    if (rare == 0) {
      return all;
    }
    return all
        + " [majority "
        + rate(r, from, to, o -> o.group().equals("normal"))
        + ", rare variant "
        + rate(r, from, to, o -> o.group().equals("rare"))
        + "]";
  }

  private static String rate(
      AdaptationReplay.Result r,
      int from,
      int to,
      java.util.function.Predicate<AdaptationReplay.Outcome> which) {
    long n = r.outcomes().subList(from, to).stream().filter(which).count();
    long k = r.outcomes().subList(from, to).stream().filter(which.and(o -> o.alerted())).count();
    return String.format(Locale.ROOT, "%d/%d (%.4f)", k, n, k / (double) Math.max(1, n));
  }

  /**
   * outlier: the real scores of a normal run (no bank updates) judged by two statistics, one of
   * which also sees one score 1000x the median, during warm-up and once warmed up.
   */
  private void outlier(
      PatchCoreDetector detector,
      BankBuilder.Result initial,
      ProductLineSimulator line,
      ProductLineSimulator.Variant finish,
      int seed,
      AdaptationReplay.Settings settings)
      throws Exception {
    List<AdaptationReplay.Frame> stream = new ArrayList<>();
    addFrames(stream, line, finish, seed, 0, frames, false);
    AdaptationReplay.Settings fixedBank =
        new AdaptationReplay.Settings(
            settings.statistics(),
            settings.adaptiveThreshold(),
            settings.gaussianWeighting(),
            settings.sampleFrames(),
            settings.patchesPerFrame(),
            Integer.MAX_VALUE, // no bank update: the same scores for both
            settings.maxAdded(),
            settings.maxBankSize(),
            settings.batch(),
            settings.seed(),
            settings.weightExponent(),
            settings.resolutionQuantile());
    AdaptationReplay.Result r =
        replay(detector, initial, stream, fixedBank, "seed " + seed + " outlier");
    double[] scores = r.outcomes().stream().mapToDouble(AdaptationReplay.Outcome::score).toArray();
    double calibrated = initial.calibration().threshold();
    double[] sorted = scores.clone();
    java.util.Arrays.sort(sorted);
    double extreme = 1000 * sorted[sorted.length / 2];
    for (int at : new int[] {Math.min(50, frames / 4), frames / 3}) {
      OnlineScoreStatistics clean = new OnlineScoreStatistics(settings.statistics());
      OnlineScoreStatistics hit = new OnlineScoreStatistics(settings.statistics());
      for (int i = 0; i < scores.length; i++) {
        judgeAndRecord(clean, calibrated, scores[i]);
        if (i == at) {
          judgeAndRecord(hit, calibrated, extreme);
        }
        judgeAndRecord(hit, calibrated, scores[i]);
      }
      double a = clean.threshold(calibrated);
      double b = hit.threshold(calibrated);
      out()
          .printf(
              Locale.ROOT,
              "seed %d: threshold shift after one extreme score (%.4g, 1000x the median) at frame %d "
                  + "of %d: %.3f%% (%.4f without it, %.4f with it)%n",
              seed,
              extreme,
              at,
              scores.length,
              100 * Math.abs(b / a - 1),
              a,
              b);
    }
  }

  /** The command's standard output (the terminal, or what a caller set on the command line). */
  private java.io.PrintWriter out() {
    return spec != null ? spec.commandLine().getOut() : new java.io.PrintWriter(System.out, true);
  }

  private static void judgeAndRecord(OnlineScoreStatistics stats, double calibrated, double score) {
    OnlineDecision.Verdict v = OnlineDecision.judge(stats, calibrated, true, false, score);
    OnlineDecision.record(stats, null, v, score, k -> null);
  }

  private static void writeOutcomes(Path file, List<SeedRun> runs) throws java.io.IOException {
    if (file.toAbsolutePath().getParent() != null) {
      Files.createDirectories(file.toAbsolutePath().getParent());
    }
    try (java.io.BufferedWriter w = Files.newBufferedWriter(file)) {
      w.write(
          "seed,reservoir,frame,group,score,threshold,alerted,weight,bank_version,statistics_skewness\n");
      for (SeedRun run : runs) {
        for (AdaptationReplay.Outcome o : run.result().outcomes()) {
          w.write(
              String.format(
                  Locale.ROOT,
                  "%d,%s,%d,%s,%.6f,%.6f,%b,%.4f,%s,%.4f%n",
                  run.seed(),
                  run.weighting(),
                  o.index(),
                  o.group(),
                  o.score(),
                  o.threshold(),
                  o.alerted(),
                  o.weight(),
                  o.bankVersion(),
                  o.statisticsSkewness()));
        }
      }
    }
  }

  private ProductLineSimulator.Variant rareFinish() {
    try {
      ProductLineSimulator.Variant v =
          ProductLineSimulator.Variant.valueOf(rareFinish.toUpperCase(Locale.ROOT));
      if (v != ProductLineSimulator.Variant.BRUSHED) {
        return v;
      }
    } catch (IllegalArgumentException e) {
      // reported below
    }
    throw new IllegalArgumentException(
        "--rare-finish: grain, washer, mesh or perforated, was " + rareFinish);
  }

  private void validate() {
    String exponentProblem = OnlineDecision.exponentProblem(weightExponent);
    if (exponentProblem != null) {
      throw new IllegalArgumentException("--weight-exponent " + exponentProblem);
    }
    if (!List.of("rare-variant", "sustained-defect", "outlier").contains(scenario)) {
      throw new IllegalArgumentException(
          "--scenario: rare-variant, sustained-defect or outlier, was " + scenario);
    }
    if (normalBefore < 2 || defectRun < 1 || normalAfter < 1) {
      throw new IllegalArgumentException(
          "--normal-before must be at least 2, --defect-run and --normal-after at least 1, were "
              + normalBefore
              + ", "
              + defectRun
              + ", "
              + normalAfter);
    }
    if (frames < 8) {
      throw new IllegalArgumentException("--frames must be at least 8, was " + frames);
    }
    if (seeds.isEmpty() || weightings.isEmpty()) {
      throw new IllegalArgumentException("--seeds and --weighting need at least one value");
    }
    for (String w : weightings) {
      if (!w.equals("gaussian") && !w.equals("uniform")) {
        throw new IllegalArgumentException("--weighting: gaussian or uniform, was " + w);
      }
    }
    if (!threshold.equals("adaptive") && !threshold.equals("fixed")) {
      throw new IllegalArgumentException("--threshold: adaptive or fixed, was " + threshold);
    }
    if (ScoreTarget.parse(target) == null) {
      throw new IllegalArgumentException("--target: " + ScoreTarget.choices() + ", was " + target);
    }
    String strengthProblem = RareVariantStream.strengthProblem(defectStrength);
    if (strengthProblem != null) {
      throw new IllegalArgumentException("--defect-strength " + strengthProblem);
    }
    if (train < 10) {
      throw new IllegalArgumentException(
          "--train must be at least 10 frames (8 to fit, 2 to calibrate), was " + train);
    }
    rareFinish();
    if (size < 64 || size > 4096) {
      throw new IllegalArgumentException(
          "--size must be in [64, 4096] px (the simulator's range), was " + size);
    }
  }

  static Row row(int seed, String weighting, AdaptationReplay.Result r) {
    int n = r.outcomes().size();
    int quarter = n / 4;
    int last = n - quarter;
    int sampled =
        r.updates().stream().mapToInt(u -> u.sampledByGroup().getOrDefault("rare", 0)).sum();
    return new Row(
        seed,
        weighting,
        r.count("rare", 0, quarter),
        r.alerts("rare", 0, quarter),
        r.count("rare", last, n),
        r.alerts("rare", last, n),
        r.count("rare", 0, n),
        r.alerts("rare", 0, n),
        r.count("defect", 0, quarter),
        r.alerts("defect", 0, quarter),
        r.count("defect", last, n),
        r.alerts("defect", last, n),
        r.normalSkewness(0, quarter),
        r.normalSkewness(last, n),
        r.skewness("normal", 0, quarter),
        r.skewness("normal", last, n),
        r.outcomes().get(quarter - 1).statisticsSkewness(),
        r.outcomes().get(n - 1).statisticsSkewness(),
        r.updates().size(),
        sampled,
        weighting.equals("gaussian") ? r.meanOfferedWeight("rare", 0, n) : Double.NaN,
        weighting.equals("gaussian") ? r.meanOfferedWeight("normal", 0, n) : Double.NaN);
  }

  /** Counts summed over seeds; skewness, versions and weights averaged. */
  static Row total(String weighting, List<Row> rows) {
    return new Row(
        -1,
        weighting,
        rows.stream().mapToInt(Row::rareFirst).sum(),
        rows.stream().mapToInt(Row::rareFirstAlerts).sum(),
        rows.stream().mapToInt(Row::rareLast).sum(),
        rows.stream().mapToInt(Row::rareLastAlerts).sum(),
        rows.stream().mapToInt(Row::rareAll).sum(),
        rows.stream().mapToInt(Row::rareAllAlerts).sum(),
        rows.stream().mapToInt(Row::defectsFirst).sum(),
        rows.stream().mapToInt(Row::defectsFirstCaught).sum(),
        rows.stream().mapToInt(Row::defectsLast).sum(),
        rows.stream().mapToInt(Row::defectsLastCaught).sum(),
        rows.stream().mapToDouble(Row::skewFirst).average().orElse(Double.NaN),
        rows.stream().mapToDouble(Row::skewLast).average().orElse(Double.NaN),
        rows.stream().mapToDouble(Row::majoritySkewFirst).average().orElse(Double.NaN),
        rows.stream().mapToDouble(Row::majoritySkewLast).average().orElse(Double.NaN),
        rows.stream().mapToDouble(Row::statisticsSkewFirst).average().orElse(Double.NaN),
        rows.stream().mapToDouble(Row::statisticsSkewLast).average().orElse(Double.NaN),
        (int) Math.round(rows.stream().mapToInt(Row::versions).average().orElse(0)),
        rows.stream().mapToInt(Row::rareSampled).sum(),
        rows.stream().mapToDouble(Row::rareWeight).average().orElse(Double.NaN),
        rows.stream().mapToDouble(Row::normalWeight).average().orElse(Double.NaN));
  }
}
