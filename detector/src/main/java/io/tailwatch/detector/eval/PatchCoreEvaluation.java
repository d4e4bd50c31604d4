package io.tailwatch.detector.eval;

import io.tailwatch.detector.bank.MemoryBank;
import io.tailwatch.detector.bank.PatchCoreFitter;
import io.tailwatch.detector.data.LabeledImage;
import io.tailwatch.detector.features.FeatureExtractor;
import io.tailwatch.detector.image.FloatImage;
import io.tailwatch.detector.image.ImageDecodeException;
import io.tailwatch.detector.image.ImageDecoder;
import io.tailwatch.detector.image.ImageSource;
import io.tailwatch.detector.image.Preprocessing;
import io.tailwatch.detector.image.Tiling;
import io.tailwatch.detector.knn.IvfIndex;
import io.tailwatch.detector.knn.OnnxKnnScorer;
import io.tailwatch.detector.metrics.BinaryScores;
import io.tailwatch.detector.metrics.PixelMetrics;
import io.tailwatch.detector.scoring.CalibrationGroups;
import io.tailwatch.detector.scoring.Calibrator;
import io.tailwatch.detector.scoring.CrossCalibration;
import io.tailwatch.detector.scoring.Detection;
import io.tailwatch.detector.scoring.DetectorOptions;
import io.tailwatch.detector.scoring.ImageScoring;
import io.tailwatch.detector.scoring.PatchCoreDetector;
import io.tailwatch.detector.scoring.ScoreCalibration;
import io.tailwatch.detector.scoring.TiledScoring;
import io.tailwatch.detector.tail.LongTailFitter;
import io.tailwatch.detector.util.Progress;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import java.util.stream.IntStream;

/**
 * The PatchCore protocol on a labelled split: fit a bank on the training images, score every test
 * image, and report image AUROC, pixel AUROC, PRO and pixel AP per anomaly type (each type's images
 * against all normal test images) and overall.
 */
public final class PatchCoreEvaluation {
  /** Hooks for progress bars and per-image output (heatmaps, score files). */
  public interface Listener {
    default Progress embedProgress() {
      return Progress.NONE;
    }

    default Progress coresetProgress() {
      return Progress.NONE;
    }

    default Progress scoreProgress() {
      return Progress.NONE;
    }

    default Progress calibrationProgress() {
      return Progress.NONE;
    }

    /** TailedCore's embedding of the tail images' augmented copies. */
    default Progress tailCopiesProgress() {
      return Progress.NONE;
    }

    default void scored(LabeledImage image, FloatImage frame, Detection detection) {}
  }

  private final FeatureExtractor extractor;
  private final FeatureExtractor scoringExtractor;
  private final OnnxKnnScorer knn;
  private final OnnxKnnScorer scoringKnn;
  private int ivfLists = -1;
  private final PatchCoreFitter.Options fitOptions;
  private final DetectorOptions detectorOptions;
  private final LongTailFitter.Method method;
  private final LongTailFitter.Options longTailOptions;
  private final Tiling tiling; // null: the whole frame resized
  private int calibrationFolds; // 0: calibrate on the hold-out run() is given
  private int imageTopK = 1; // ImageScoring: 1 = the largest patch distance
  private Pattern calibrationGroups; // null: every training image its own source
  private final ImageDecoder decoder = new ImageDecoder();

  public PatchCoreEvaluation(
      FeatureExtractor extractor,
      OnnxKnnScorer knn,
      PatchCoreFitter.Options fitOptions,
      DetectorOptions detectorOptions) {
    this(extractor, knn, knn, fitOptions, detectorOptions);
  }

  /**
   * @param scoringKnn scores the test images (e.g. reduced precision), {@code knn} builds the bank
   */
  public PatchCoreEvaluation(
      FeatureExtractor extractor,
      OnnxKnnScorer knn,
      OnnxKnnScorer scoringKnn,
      PatchCoreFitter.Options fitOptions,
      DetectorOptions detectorOptions) {
    this(extractor, extractor, knn, scoringKnn, fitOptions, detectorOptions);
  }

  /**
   * @param extractor embeds the training images (the bank), {@code scoringExtractor} the test
   *     images (e.g. the backbone in fp16 against a bank built in fp32, as a GPU deployment would
   *     score)
   */
  public PatchCoreEvaluation(
      FeatureExtractor extractor,
      FeatureExtractor scoringExtractor,
      OnnxKnnScorer knn,
      OnnxKnnScorer scoringKnn,
      PatchCoreFitter.Options fitOptions,
      DetectorOptions detectorOptions) {
    this(
        extractor,
        scoringExtractor,
        knn,
        scoringKnn,
        fitOptions,
        detectorOptions,
        LongTailFitter.Method.PATCHCORE,
        LongTailFitter.Options.DEFAULT,
        null);
  }

  private PatchCoreEvaluation(
      FeatureExtractor extractor,
      FeatureExtractor scoringExtractor,
      OnnxKnnScorer knn,
      OnnxKnnScorer scoringKnn,
      PatchCoreFitter.Options fitOptions,
      DetectorOptions detectorOptions,
      LongTailFitter.Method method,
      LongTailFitter.Options longTailOptions,
      Tiling tiling) {
    if (!scoringExtractor.backbone().sha256().equals(extractor.backbone().sha256())
        || !scoringExtractor.spec().equals(extractor.spec())) {
      throw new IllegalArgumentException(
          "the scoring extractor must run the same backbone and patch embedding");
    }
    this.extractor = extractor;
    this.scoringExtractor = scoringExtractor;
    this.knn = knn;
    this.scoringKnn = scoringKnn;
    this.fitOptions = fitOptions;
    this.detectorOptions = detectorOptions;
    this.method = method;
    this.longTailOptions = longTailOptions;
    this.tiling = tiling;
  }

  /** The same evaluation with the bank built by another method (SoftPatch, TailedCore). */
  public PatchCoreEvaluation withMethod(
      LongTailFitter.Method method, LongTailFitter.Options longTailOptions) {
    return copy(method, longTailOptions, tiling, calibrationFolds);
  }

  private PatchCoreEvaluation copy(
      LongTailFitter.Method method, LongTailFitter.Options options, Tiling tiling, int folds) {
    PatchCoreEvaluation e =
        new PatchCoreEvaluation(
            extractor,
            scoringExtractor,
            knn,
            scoringKnn,
            fitOptions,
            detectorOptions,
            method,
            options,
            tiling);
    e.calibrationFolds = folds;
    e.calibrationGroups = calibrationGroups;
    e.ivfLists = ivfLists;
    e.imageTopK = imageTopK;
    return e;
  }

  /**
   * Image scores as the mean of the k largest patch distances ({@link ImageScoring}; 1: the
   * maximum): every bank of the run (the class's and the cross-fitting folds') records k.
   */
  public PatchCoreEvaluation withImageTopK(int k) {
    PatchCoreEvaluation e = copy(method, longTailOptions, tiling, calibrationFolds);
    e.imageTopK = ImageScoring.requireTopK(k, "image top-k");
    return e;
  }

  /**
   * The same evaluation with an IVF index built into each class's bank ({@link IvfIndex}; {@code
   * lists} 0 = the 4 sqrt(N) rule, negative = none). The test images are searched as the scoring
   * scorer is set ({@link OnnxKnnScorer#ivfProbes}).
   */
  public PatchCoreEvaluation withIvf(int lists) {
    PatchCoreEvaluation e = copy(method, longTailOptions, tiling, calibrationFolds);
    e.ivfLists = lists;
    return e;
  }

  /**
   * The same evaluation on tiles (null: whole frames): the bank is fitted on the training images'
   * tiles, each test image is scored tile by tile, its map stitched at full resolution and its
   * score the maximum over tiles. Pixel metrics stay at the whole frame's network geometry, so they
   * compare with a whole-frame run.
   */
  public PatchCoreEvaluation withTiling(Tiling tiling) {
    return copy(method, longTailOptions, tiling, calibrationFolds);
  }

  private MemoryBank buildBank(
      PatchCoreFitter fitter,
      LongTailFitter robust,
      PatchCoreFitter.Embedded embedded,
      List<ImageSource> sources,
      String version,
      Progress copies,
      Progress coreset)
      throws Exception {
    MemoryBank bank =
        switch (method) {
          case PATCHCORE -> fitter.build(embedded, version, coreset);
          case SOFTPATCH -> robust.softPatch(embedded, version, coreset).bank();
          case TAILEDCORE -> robust.tailedCore(embedded, sources, version, copies, coreset).bank();
        };
    return ImageScoring.record(bank, imageTopK);
  }

  /**
   * Calibrates by k-fold cross-fitting on all training images ({@link CrossCalibration}) instead of
   * a hold-out; 0 = the hold-out given to {@link #run}.
   */
  public PatchCoreEvaluation withCalibrationFolds(int folds) {
    if (folds < 0 || folds == 1) {
      throw new IllegalArgumentException(
          "calibration folds must be 0 (hold-out) or >= 2, was " + folds);
    }
    return copy(method, longTailOptions, tiling, folds);
  }

  /**
   * Cross-fitting keeps the training images whose names share {@code pattern}'s match in one fold
   * ({@link CalibrationGroups}); null: every image its own source.
   */
  public PatchCoreEvaluation withCalibrationGroups(Pattern pattern) {
    PatchCoreEvaluation e = copy(method, longTailOptions, tiling, calibrationFolds);
    e.calibrationGroups = pattern;
    return e;
  }

  /** The method's id, with the tiling when there is one ("patchcore-tile256/192"). */
  public String label() {
    return method.id()
        + (tiling == null ? "" : "-tile" + tiling.tile() + "/" + tiling.stride())
        + (imageTopK == 1 ? "" : "-top" + imageTopK);
  }

  private List<Detection> detect(PatchCoreDetector detector, List<FloatImage> frames)
      throws Exception {
    return TiledScoring.detect(detector, tiling, fitOptions.preprocessing(), frames);
  }

  public EvaluationResult run(
      String dataset, List<LabeledImage> train, List<LabeledImage> test, Listener listener)
      throws Exception {
    return run(dataset, train, List.of(), 0.01, test, listener);
  }

  /**
   * Fits on {@code train}, calibrates on {@code heldOut} (normal images kept out of the bank, as
   * {@code fit --calibration-holdout} does; none = no threshold figures) for {@code
   * falseAlarmRate}, and tests.
   */
  public EvaluationResult run(
      String dataset,
      List<LabeledImage> train,
      List<LabeledImage> heldOut,
      double falseAlarmRate,
      List<LabeledImage> test,
      Listener listener)
      throws Exception {
    PatchCoreFitter fitter = new PatchCoreFitter(extractor, fitOptions, knn.nearestCentres());
    long t0 = System.nanoTime();
    TiledScoring.Tiles tiles =
        TiledScoring.tiles(
            train.stream().map(l -> ImageSource.file(l.image(), decoder)).toList(), tiling);
    List<ImageSource> trainSources = tiles.sources();
    PatchCoreFitter.Embedded embedded = fitter.embed(trainSources, listener.embedProgress());
    long t1 = System.nanoTime();
    String version = "eval-" + dataset + "-" + method.id();
    LongTailFitter robust = new LongTailFitter(fitter, longTailOptions);
    MemoryBank bank =
        buildBank(
            fitter,
            robust,
            embedded,
            trainSources,
            version,
            listener.tailCopiesProgress(),
            listener.coresetProgress());
    if (ivfLists >= 0) {
      bank =
          IvfIndex.build(
              bank,
              ivfLists > 0 ? Math.min(ivfLists, bank.count()) : IvfIndex.defaultLists(bank.count()),
              IvfIndex.DEFAULT_ITERATIONS,
              fitOptions.seed(),
              knn,
              Progress.NONE);
    }
    long t2 = System.nanoTime();
    ScoreCalibration crossFitted = null;
    double[] calibrationScores = null;
    if (calibrationFolds > 0) {
      PatchCoreFitter.Embedded all = embedded;
      double[] scores =
          CrossCalibration.scores(
              all,
              tiling == null ? null : tiles.frameOf(),
              calibrationGroups == null
                  ? null
                  : CalibrationGroups.of(
                      train.stream().map(l -> l.image().getFileName().toString()).toList(),
                      calibrationGroups),
              calibrationFolds,
              fitOptions.seed(),
              (subset, idx) ->
                  buildBank(
                      fitter,
                      robust,
                      subset,
                      Arrays.stream(idx).mapToObj(trainSources::get).toList(),
                      version + "-fold",
                      Progress.NONE,
                      Progress.NONE),
              (foldBank, held) -> {
                try (PatchCoreDetector d =
                    new PatchCoreDetector(extractor, knn, foldBank, detectorOptions)) {
                  return d.imageScores(held.patches(), held.images(), held.positions(), held.dim());
                }
              },
              listener.calibrationProgress());
      crossFitted = ScoreCalibration.fit(scores, falseAlarmRate);
      calibrationScores = scores;
      bank = bank.withCalibration(crossFitted.toMap());
    }
    embedded =
        null; // the patch matrix is the largest allocation of the run; let it go before scoring
    ScoreCalibration calibration = crossFitted;
    if (crossFitted == null && !heldOut.isEmpty()) {
      try (PatchCoreDetector detector =
          new PatchCoreDetector(scoringExtractor, scoringKnn, bank, detectorOptions)) {
        calibrationScores =
            Calibrator.scores(
                detector,
                heldOut.stream().map(l -> ImageSource.file(l.image(), decoder)).toList(),
                fitOptions.batchSize(),
                listener.calibrationProgress(),
                tiling,
                fitOptions.preprocessing());
      }
      calibration = ScoreCalibration.fit(calibrationScores, falseAlarmRate);
      bank = bank.withCalibration(calibration.toMap());
    }

    Map<String, List<Integer>> byType = new LinkedHashMap<>();
    for (int i = 0; i < test.size(); i++) {
      if (test.get(i).anomalous()) {
        byType.computeIfAbsent(test.get(i).type(), k -> new ArrayList<>()).add(i);
      }
    }
    double[] scores = new double[test.size()];
    Map<String, PixelMetrics> pixel = new LinkedHashMap<>();
    byType.keySet().forEach(t -> pixel.put(t, new PixelMetrics()));
    PixelMetrics overallPixels = new PixelMetrics();
    List<float[]> normalMaps = new ArrayList<>();
    int s = fitOptions.preprocessing().inputSize();
    long t3 = System.nanoTime();
    try (PatchCoreDetector detector =
        new PatchCoreDetector(scoringExtractor, scoringKnn, bank, detectorOptions)) {
      int batch = fitOptions.batchSize();
      for (int start = 0; start < test.size(); start += batch) {
        int n = Math.min(batch, test.size() - start);
        int from = start;
        FloatImage[] frames = new FloatImage[n];
        boolean[][] masks = new boolean[n][];
        loadAll(
            n,
            i -> {
              LabeledImage li = test.get(from + i);
              try {
                frames[i] = decoder.read(li.image());
                if (li.mask() == null) {
                  masks[i] = new boolean[s * s];
                } else {
                  FloatImage mask = decoder.read(li.mask());
                  if (mask.width() != frames[i].width() || mask.height() != frames[i].height()) {
                    throw new IOException(
                        String.format(
                            java.util.Locale.ROOT,
                            "mask %s is %dx%d but its image %s is %dx%d",
                            li.mask(),
                            mask.width(),
                            mask.height(),
                            li.image(),
                            frames[i].width(),
                            frames[i].height()));
                  }
                  masks[i] = maskInGeometry(mask, fitOptions.preprocessing());
                }
              } catch (IOException e) {
                throw new UncheckedIOException(e);
              } catch (ImageDecodeException e) {
                throw new UncheckedIOException(
                    new IOException(li.image() + " or its mask: " + e.getMessage(), e));
              }
            });
        List<Detection> detections = detect(detector, List.of(frames));
        for (int i = 0; i < n; i++) {
          LabeledImage li = test.get(from + i);
          Detection d = detections.get(i);
          scores[from + i] = d.score();
          overallPixels.add(d.map(), masks[i], s, s);
          if (li.anomalous()) {
            pixel.get(li.type()).add(d.map(), masks[i], s, s);
          } else {
            normalMaps.add(d.map());
          }
          listener.scored(li, frames[i], d);
        }
        listener.scoreProgress().update(start + n, test.size());
      }
    }
    long t4 = System.nanoTime();

    boolean[] normalMask = new boolean[s * s];
    List<EvaluationResult.Row> rows = new ArrayList<>();
    int normals = (int) test.stream().filter(l -> !l.anomalous()).count();
    for (Map.Entry<String, List<Integer>> e : byType.entrySet()) {
      PixelMetrics pm = pixel.get(e.getKey());
      for (float[] m : normalMaps) {
        pm.add(m, normalMask);
      }
      List<Integer> idx = new ArrayList<>(e.getValue());
      for (int i = 0; i < test.size(); i++) {
        if (!test.get(i).anomalous()) {
          idx.add(i);
        }
      }
      rows.add(row(e.getKey(), normals, e.getValue().size(), idx, scores, test, pm));
      pixel.put(e.getKey(), null); // free before the next type's sort
    }
    List<Integer> all = IntStream.range(0, test.size()).boxed().toList();
    EvaluationResult.Row overall =
        row("overall", normals, test.size() - normals, all, scores, test, overallPixels);
    String provider =
        extractor.provider()
            + (scoringExtractor.precision() == extractor.precision()
                ? ""
                : ", test images in "
                    + scoringExtractor.precision().name().toLowerCase(java.util.Locale.ROOT));
    List<EvaluationResult.ImageScore> imageScores = new ArrayList<>(test.size());
    for (int i = 0; i < test.size(); i++) {
      LabeledImage li = test.get(i);
      imageScores.add(
          new EvaluationResult.ImageScore(
              li.image().getFileName().toString(), li.type(), li.anomalous(), scores[i]));
    }
    return new EvaluationResult(
        dataset,
        label(),
        extractor.backbone().id(),
        provider,
        rows,
        overall,
        train.size(),
        embeddedCount(trainSources.size()),
        bank.count(),
        seconds(t1 - t0),
        seconds(t2 - t1),
        test.size(),
        seconds(t4 - t3),
        calibration,
        crossFitted != null ? train.size() : heldOut.size(),
        calibrationFolds,
        calibrationScores,
        imageScores);
  }

  private long embeddedCount(int images) {
    return (long) images * extractor.spec().positions();
  }

  private static EvaluationResult.Row row(
      String type,
      int normal,
      int anomalous,
      List<Integer> idx,
      double[] scores,
      List<LabeledImage> test,
      PixelMetrics pm) {
    double[] s = new double[idx.size()];
    boolean[] labels = new boolean[idx.size()];
    for (int i = 0; i < s.length; i++) {
      s[i] = scores[idx.get(i)];
      labels[i] = test.get(idx.get(i)).anomalous();
    }
    BinaryScores image = BinaryScores.of(s, labels);
    BinaryScores px = pm.scores();
    return new EvaluationResult.Row(
        type,
        normal,
        anomalous,
        image.auroc(),
        px.auroc(),
        pm.pro(PixelMetrics.DEFAULT_PRO_MAX_FPR),
        px.averagePrecision(),
        image.f1Max());
  }

  /** A ground-truth mask brought to the network input geometry exactly as its image was. */
  public static boolean[] maskInGeometry(FloatImage mask, Preprocessing p) {
    FloatImage g = p.geometry(mask);
    float[] gray = g.gray();
    boolean[] out = new boolean[gray.length];
    for (int i = 0; i < gray.length; i++) {
      out[i] = gray[i] > 0.5f;
    }
    return out;
  }

  private static void loadAll(int n, Consumer<Integer> load) throws IOException {
    try {
      IntStream.range(0, n).parallel().forEach(load::accept);
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
  }

  private static double seconds(long nanos) {
    return nanos / 1e9;
  }
}
