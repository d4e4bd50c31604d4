package io.tailwatch.tools;

import io.tailwatch.detector.bank.MemoryBank;
import io.tailwatch.detector.bank.PatchCoreFitter;
import io.tailwatch.detector.features.FeatureExtractor;
import io.tailwatch.detector.image.ImageSource;
import io.tailwatch.detector.image.Tiling;
import io.tailwatch.detector.knn.IvfIndex;
import io.tailwatch.detector.knn.OnnxKnnScorer;
import io.tailwatch.detector.scoring.CalibrationGroups;
import io.tailwatch.detector.scoring.Calibrator;
import io.tailwatch.detector.scoring.CrossCalibration;
import io.tailwatch.detector.scoring.DetectorOptions;
import io.tailwatch.detector.scoring.ImageScoring;
import io.tailwatch.detector.scoring.PatchCoreDetector;
import io.tailwatch.detector.scoring.ScoreCalibration;
import io.tailwatch.detector.scoring.TiledScoring;
import io.tailwatch.detector.tail.LongTailFitter;
import io.tailwatch.detector.util.Progress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.regex.Pattern;

/** fit's work, shared with the demo: embed, coreset, then calibrate on held-out normal images. */
final class BankBuilder {
  record Result(
      MemoryBank bank,
      int trainImages,
      long patches,
      double embedSeconds,
      double coresetSeconds,
      ScoreCalibration calibration,
      LongTailFitter.Report longTail) {}

  private BankBuilder() {}

  /**
   * Splits off a seeded random {@code fraction} of the images for calibration (none when fraction
   * is 0).
   */
  /** The calibration options fit and evaluate share, checked before any image is read. */
  static void validateCalibration(double holdout, int folds, double falseAlarmRate) {
    if (!(holdout >= 0 && holdout < 1)) {
      throw new IllegalArgumentException("--calibration-holdout must be in [0, 1), was " + holdout);
    }
    if (!(falseAlarmRate > 0 && falseAlarmRate < 0.5)) {
      throw new IllegalArgumentException(
          "--false-alarm-rate must be in (0, 0.5), was " + falseAlarmRate);
    }
    if (folds < 0 || folds == 1) {
      throw new IllegalArgumentException(
          "--calibration-folds must be 0 (use --calibration-holdout) or >= 2, was " + folds);
    }
  }

  /** A bank, and the long-tail report when SoftPatch or TailedCore built it. */
  private record Built(MemoryBank bank, LongTailFitter.Report longTail) {}

  private static Built bank(
      LongTailFitter.Method method,
      PatchCoreFitter fitter,
      LongTailFitter robust,
      PatchCoreFitter.Embedded embedded,
      List<ImageSource> images,
      String version,
      Progress copies,
      Progress coreset)
      throws Exception {
    LongTailFitter.Report r =
        switch (method) {
          case PATCHCORE -> null;
          case SOFTPATCH -> robust.softPatch(embedded, version, coreset);
          case TAILEDCORE -> robust.tailedCore(embedded, images, version, copies, coreset);
        };
    return new Built(r == null ? fitter.build(embedded, version, coreset) : r.bank(), r);
  }

  static List<List<ImageSource>> split(List<ImageSource> all, double fraction, long seed) {
    if (!(fraction >= 0 && fraction < 1)) {
      throw new IllegalArgumentException(
          "--calibration-holdout must be in [0, 1), was " + fraction);
    }
    List<ImageSource> shuffled = new ArrayList<>(all);
    Collections.shuffle(shuffled, new Random(seed));
    int holdout = (int) Math.round(all.size() * fraction);
    if (fraction > 0 && holdout < 2) {
      throw new IllegalArgumentException(
          "--calibration-holdout "
              + fraction
              + " of "
              + all.size()
              + " images leaves "
              + holdout
              + " for calibration; need at least 2 (more images, a larger fraction, or 0)");
    }
    if (all.size() - holdout < 1) {
      throw new IllegalArgumentException("no images left to fit after holding out " + holdout);
    }
    return List.of(shuffled.subList(holdout, shuffled.size()), shuffled.subList(0, holdout));
  }

  static Result build(
      FeatureExtractor extractor,
      OnnxKnnScorer knn,
      PatchCoreFitter.Options options,
      List<ImageSource> train,
      List<ImageSource> holdout,
      double falseAlarmRate,
      String version)
      throws Exception {
    return build(
        extractor,
        knn,
        options,
        LongTailFitter.Method.PATCHCORE,
        LongTailFitter.Options.DEFAULT,
        train,
        holdout,
        falseAlarmRate,
        version);
  }

  /** The same with a bank-building method: PatchCore, SoftPatch or TailedCore. */
  static Result build(
      FeatureExtractor extractor,
      OnnxKnnScorer knn,
      PatchCoreFitter.Options options,
      LongTailFitter.Method method,
      LongTailFitter.Options longTailOptions,
      List<ImageSource> train,
      List<ImageSource> holdout,
      double falseAlarmRate,
      String version)
      throws Exception {
    return build(
        extractor,
        knn,
        options,
        method,
        longTailOptions,
        train,
        holdout,
        0,
        null,
        null,
        1,
        falseAlarmRate,
        version,
        null);
  }

  /**
   * An IVF index built into the bank ({@link IvfIndex}): {@code lists} lists (0: the 4 sqrt(N)
   * rule), and the calibration scored through {@code probes} lists, as the job will search it.
   */
  record Ivf(int lists, int probes) {
    /** --index exact|ivf with --ivf-lists and --ivf-probes: null for exact search. */
    static Ivf parse(String index, int lists, int probes) {
      return switch (index.toLowerCase(java.util.Locale.ROOT)) {
        case "exact" -> null;
        case "ivf" -> new Ivf(lists, probes);
        default ->
            throw new IllegalArgumentException("--index must be exact or ivf, was '" + index + "'");
      };
    }

    Ivf {
      if (lists < 0 || probes < 1) {
        throw new IllegalArgumentException(
            "--ivf-lists must be >= 0 (0 = 4 sqrt(N)) and --ivf-probes >= 1, were "
                + lists
                + " and "
                + probes);
      }
    }
  }

  /**
   * @param calibrationFolds k >= 2: calibrate on k-fold cross-fitted scores of all the training
   *     images ({@link CrossCalibration}; {@code holdout} must then be empty); 0: on {@code
   *     holdout}
   * @param calibrationGroups with folds: frames whose names share the pattern's match stay in one
   *     fold ({@link CalibrationGroups}); null: every frame its own source
   * @param tiling null: whole frames; else the bank is fitted on the frames' tiles, calibrated on
   *     tiled scores, and records the tiling for every scorer of it ({@link TiledScoring})
   * @param imageTopK image score = mean of the k largest patch distances (1: the maximum); recorded
   *     in the bank and used for its calibration ({@link ImageScoring})
   */
  static Result build(
      FeatureExtractor extractor,
      OnnxKnnScorer knn,
      PatchCoreFitter.Options options,
      LongTailFitter.Method method,
      LongTailFitter.Options longTailOptions,
      List<ImageSource> frames,
      List<ImageSource> holdout,
      int calibrationFolds,
      Pattern calibrationGroups,
      Tiling tiling,
      int imageTopK,
      double falseAlarmRate,
      String version,
      Ivf ivf)
      throws Exception {
    TiledScoring.Tiles tiles = TiledScoring.tiles(frames, tiling);
    List<ImageSource> train = tiles.sources();
    if (calibrationFolds > 0 && !holdout.isEmpty()) {
      throw new IllegalArgumentException("cross-fitted calibration uses no hold-out");
    }
    PatchCoreFitter fitter = new PatchCoreFitter(extractor, options, knn.nearestCentres());
    long t0 = System.nanoTime();
    PatchCoreFitter.Embedded embedded;
    try (ProgressBar bar = new ProgressBar("embed")) {
      embedded = fitter.embed(train, bar);
    }
    long t1 = System.nanoTime();
    MemoryBank bank;
    LongTailFitter.Report longTail = null;
    LongTailFitter robust = new LongTailFitter(fitter, longTailOptions);
    try (ProgressBar bar = new ProgressBar("coreset");
        ProgressBar copies = new ProgressBar("embed tail copies")) {
      Built built = bank(method, fitter, robust, embedded, train, version, copies, bar);
      bank = ImageScoring.record(built.bank(), imageTopK);
      longTail = built.longTail();
    }
    if (ivf != null) {
      int lists = ivf.lists() > 0 ? ivf.lists() : IvfIndex.defaultLists(bank.count());
      if (lists > bank.count()) {
        throw new IllegalArgumentException(
            "--ivf-lists " + lists + " exceeds the bank's " + bank.count() + " vectors");
      }
      try (ProgressBar bar = new ProgressBar("ivf index (" + lists + " lists)")) {
        bank = IvfIndex.build(bank, lists, IvfIndex.DEFAULT_ITERATIONS, options.seed(), knn, bar);
      }
      // the hold-out is scored as the job will search the bank (cross-fitted folds stay exact)
      knn.ivfProbes(ivf.probes());
    }
    long t2 = System.nanoTime();
    ScoreCalibration calibration = null;
    if (calibrationFolds > 0) {
      double[] scores;
      try (ProgressBar bar = new ProgressBar("calibrate (" + calibrationFolds + " folds)")) {
        scores =
            CrossCalibration.scores(
                embedded,
                tiling == null ? null : tiles.frameOf(),
                calibrationGroups == null
                    ? null
                    : CalibrationGroups.of(
                        frames.stream().map(ImageSource::id).toList(), calibrationGroups),
                calibrationFolds,
                options.seed(),
                (subset, idx) -> {
                  List<ImageSource> images = new ArrayList<>(idx.length);
                  for (int i : idx) {
                    images.add(train.get(i));
                  }
                  return bank(
                          method,
                          fitter,
                          robust,
                          subset,
                          images,
                          version,
                          Progress.NONE,
                          Progress.NONE)
                      .bank();
                },
                (foldBank, held) -> {
                  try (PatchCoreDetector d =
                      new PatchCoreDetector(
                          extractor,
                          knn,
                          ImageScoring.record(foldBank, imageTopK),
                          DetectorOptions.DEFAULT)) {
                    return d.imageScores(
                        held.patches(), held.images(), held.positions(), held.dim());
                  }
                },
                bar);
      }
      calibration = ScoreCalibration.fit(scores, falseAlarmRate);
      bank = bank.withCalibration(calibration.toMap());
    } else if (!holdout.isEmpty()) {
      try (PatchCoreDetector detector =
              new PatchCoreDetector(extractor, knn, bank, DetectorOptions.DEFAULT);
          ProgressBar bar = new ProgressBar("calibrate")) {
        bank =
            Calibrator.calibrate(
                detector,
                holdout,
                falseAlarmRate,
                options.batchSize(),
                bar,
                tiling,
                options.preprocessing());
      }
      calibration = ScoreCalibration.fromMap(bank.header().calibration());
    }
    bank = TiledScoring.record(bank, tiling);
    return new Result(
        bank,
        frames.size(),
        embedded.count(),
        (t1 - t0) / 1e9,
        (t2 - t1) / 1e9,
        calibration,
        longTail);
  }
}
