package io.tailwatch.detector.eval;

import io.tailwatch.detector.metrics.BinaryScores;
import io.tailwatch.detector.metrics.Intervals;
import io.tailwatch.detector.scoring.ScoreCalibration;
import java.util.List;
import java.util.Locale;

/**
 * Metrics per anomaly type and overall, with fit and throughput figures, every test image's score,
 * and (when images were held out to calibrate) the false-alarm rate and recall at the fitted
 * threshold.
 *
 * @param calibration the fitted threshold from {@code calibrationImages} held-out training images,
 *     or null when none were held out
 * @param calibrationFolds 0: a hold-out calibrated; k: k-fold cross-fitted scores of all the
 *     training images did
 * @param calibrationScores the scores the threshold was fitted on (held-out or cross-fitted), or
 *     null
 */
public record EvaluationResult(
    String dataset,
    String method,
    String backbone,
    String provider,
    List<Row> rows,
    Row overall,
    int trainImages,
    long trainPatches,
    int bankSize,
    double embedSeconds,
    double coresetSeconds,
    int testImages,
    double scoreSeconds,
    ScoreCalibration calibration,
    int calibrationImages,
    int calibrationFolds,
    double[] calibrationScores,
    List<ImageScore> imageScores) {

  /** One test image's image score. */
  public record ImageScore(String image, String type, boolean anomalous, double score) {}

  /**
   * The fitted threshold applied to the test images (alert when score > threshold): false alarms
   * among the normal ones, detections among the defective ones, each with its 95% Wilson interval.
   */
  public record AtThreshold(
      double threshold,
      boolean empirical,
      int falseAlarms,
      int normals,
      int detected,
      int anomalous,
      Intervals.Interval falseAlarmRate,
      Intervals.Interval recall) {}

  public EvaluationResult {
    rows = List.copyOf(rows);
    imageScores = List.copyOf(imageScores);
  }

  /** One table row. NaN where a metric does not apply. */
  public record Row(
      String type,
      int normal,
      int anomalous,
      double imageAuroc,
      double pixelAuroc,
      double pro,
      double pixelAp,
      double f1Max) {
    /** Image AUROC with its 95% interval (Hanley-McNeil). */
    public Intervals.Interval imageAurocInterval() {
      return Intervals.auroc(imageAuroc, anomalous, normal);
    }
  }

  /** All test images' scores, defective against normal. */
  public BinaryScores scores() {
    double[] s = new double[imageScores.size()];
    boolean[] labels = new boolean[s.length];
    for (int i = 0; i < s.length; i++) {
      s[i] = imageScores.get(i).score();
      labels[i] = imageScores.get(i).anomalous();
    }
    return BinaryScores.of(s, labels);
  }

  /** The figures at the fitted threshold, or null without a calibration. */
  public AtThreshold atThreshold() {
    if (calibration == null) {
      return null;
    }
    BinaryScores s = scores();
    int fa = s.negativesAbove(calibration.threshold());
    int tp = s.positivesAbove(calibration.threshold());
    return new AtThreshold(
        calibration.threshold(),
        calibration.empirical(),
        fa,
        s.negatives(),
        tp,
        s.positives(),
        Intervals.proportion(fa, s.negatives()),
        Intervals.proportion(tp, s.positives()));
  }

  public double framesPerSecond() {
    return testImages / scoreSeconds;
  }

  public String markdown() {
    StringBuilder sb = new StringBuilder();
    sb.append(
        "| defect type | normal | defective | image AUROC | pixel AUROC | PRO (FPR<=0.3) | pixel AP | F1-max |\n");
    sb.append("|---|---:|---:|---:|---:|---:|---:|---:|\n");
    for (Row r : rows) {
      sb.append(row(r, false));
    }
    sb.append(row(overall, true));
    sb.append(
        String.format(
            Locale.ROOT,
            "%nMethod %s, backbone %s on %s. Fit: %d images, %,d patches -> bank of %,d; embedding %.1f s, coreset %.1f s "
                + "(fit %.1f s). Scoring: %d images in %.1f s = %.1f frames/s (decode, features, kNN, maps).%n",
            method,
            backbone,
            provider,
            trainImages,
            trainPatches,
            bankSize,
            embedSeconds,
            coresetSeconds,
            embedSeconds + coresetSeconds,
            testImages,
            scoreSeconds,
            framesPerSecond()));
    AtThreshold t = atThreshold();
    if (t != null) {
      sb.append(
          String.format(
              Locale.ROOT,
              "%nAt the fitted threshold %.4f (%s of %d %s training images, false-alarm rate"
                  + " %.3f): false alarms %d/%d = %.1f%% (95%% CI %.1f-%.1f%%), recall %d/%d = %.1f%%"
                  + " (95%% CI %.1f-%.1f%%).%n",
              t.threshold(),
              t.empirical() ? "conformal quantile" : "Gaussian quantile",
              calibrationImages,
              calibrationFolds > 0 ? calibrationFolds + "-fold cross-fitted" : "held-out",
              calibration.falseAlarmRate(),
              t.falseAlarms(),
              t.normals(),
              100 * t.falseAlarmRate().estimate(),
              100 * t.falseAlarmRate().low(),
              100 * t.falseAlarmRate().high(),
              t.detected(),
              t.anomalous(),
              100 * t.recall().estimate(),
              100 * t.recall().low(),
              100 * t.recall().high()));
    }
    return sb.toString();
  }

  private static String row(Row r, boolean bold) {
    String b = bold ? "**" : "";
    return String.format(
        Locale.ROOT,
        "| %s%s%s | %d | %d | %s | %s | %s | %s | %s |%n",
        b,
        r.type(),
        b,
        r.normal(),
        r.anomalous(),
        f(r.imageAuroc()),
        f(r.pixelAuroc()),
        f(r.pro()),
        f(r.pixelAp()),
        f(r.f1Max()));
  }

  private static String f(double v) {
    return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.4f", v);
  }
}
