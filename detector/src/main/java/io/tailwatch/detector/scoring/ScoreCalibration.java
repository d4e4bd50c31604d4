package io.tailwatch.detector.scoring;

import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.commons.math3.distribution.NormalDistribution;

/**
 * How normal image scores are distributed for one bank, from held-out normal images: the threshold
 * that keeps the configured false-alarm rate, a Gaussian fit, and the calibrated score {@code
 * Phi((s - mean) / std)} (the fraction of normal scores below s; 0.99 = higher than 99% of
 * normals).
 *
 * <p>The threshold is the split-conformal quantile of the n held-out scores when n is large enough:
 * the k-th smallest, k = ceil((n + 1)(1 - alpha)), which a new normal score exceeds with
 * probability at most alpha (and at least alpha - 1/(n + 1)) whatever the scores' distribution;
 * image scores are right-skewed, so a Gaussian mu + z sigma holds another rate than the one asked.
 * With fewer than 1/alpha - 1 scores (99 at 1%) no order statistic holds alpha, and the Gaussian
 * fit's quantile is used ({@link #empirical()} false). The online statistics of the streaming job
 * refine either.
 */
public record ScoreCalibration(
    double mean,
    double std,
    double threshold,
    double falseAlarmRate,
    int count,
    boolean empirical) {
  /** A Gaussian-quantile calibration (banks written before the empirical threshold). */
  public ScoreCalibration(
      double mean, double std, double threshold, double falseAlarmRate, int count) {
    this(mean, std, threshold, falseAlarmRate, count, false);
  }

  // commons-math3's distribution (no RandomGenerator: only its CDF and inverse are used, which are
  // thread safe)
  private static final NormalDistribution STANDARD_NORMAL = new NormalDistribution(null, 0, 1);

  public ScoreCalibration {
    if (!(std > 0) || !Double.isFinite(mean) || !Double.isFinite(threshold)) {
      throw new IllegalArgumentException(
          "calibration needs finite mean/threshold and std > 0, was mean="
              + mean
              + " std="
              + std
              + " threshold="
              + threshold);
    }
    if (!(falseAlarmRate > 0 && falseAlarmRate < 0.5)) {
      throw new IllegalArgumentException(
          "falseAlarmRate must be in (0, 0.5), was " + falseAlarmRate);
    }
  }

  /**
   * Fits a Gaussian to normal scores (at least 2) and puts the threshold at its (1 - far) quantile.
   */
  public static ScoreCalibration fit(double[] normalScores, double falseAlarmRate) {
    if (normalScores.length < 2) {
      throw new IllegalArgumentException(
          "calibration needs at least 2 normal scores, got " + normalScores.length);
    }
    double mean = 0;
    for (double s : normalScores) {
      mean += s;
    }
    mean /= normalScores.length;
    double var = 0;
    for (double s : normalScores) {
      var += (s - mean) * (s - mean);
    }
    double std = Math.sqrt(var / (normalScores.length - 1));
    if (!(std > 0)) {
      std = Math.max(Math.abs(mean) * 1e-6, 1e-12);
    }
    int n = normalScores.length;
    int k = conformalRank(n, falseAlarmRate);
    if (k <= n) {
      double[] sorted = normalScores.clone();
      java.util.Arrays.sort(sorted);
      return new ScoreCalibration(mean, std, sorted[k - 1], falseAlarmRate, n, true);
    }
    return new ScoreCalibration(
        mean, std, mean + inverseNormalCdf(1 - falseAlarmRate) * std, falseAlarmRate, n, false);
  }

  /**
   * The fewest held-out scores for which an order statistic holds the rate: (1 - alpha) / alpha.
   */
  public static int minimumForEmpirical(double falseAlarmRate) {
    return (int) Math.ceil((1 - falseAlarmRate) / falseAlarmRate - 1e-9);
  }

  /**
   * The split-conformal rank ceil((n + 1)(1 - alpha)) (1-based); above n when n is too small for
   * alpha.
   */
  public static int conformalRank(int n, double falseAlarmRate) {
    // the tiny epsilon keeps an exact product (e.g. 100 x 0.99) from rounding up by float error
    return (int) Math.ceil((n + 1) * (1 - falseAlarmRate) - 1e-9);
  }

  public double calibrated(double score) {
    return normalCdf((score - mean) / std);
  }

  public Map<String, Double> toMap() {
    Map<String, Double> m = new LinkedHashMap<>();
    m.put("mean", mean);
    m.put("std", std);
    m.put("threshold", threshold);
    m.put("falseAlarmRate", falseAlarmRate);
    m.put("count", (double) count);
    m.put("empirical", empirical ? 1.0 : 0.0);
    return m;
  }

  /** The calibration stored in a bank header, or null if the bank has none. */
  public static ScoreCalibration fromMap(Map<String, Double> m) {
    if (m == null
        || !m.containsKey("mean")
        || !m.containsKey("std")
        || !m.containsKey("threshold")) {
      return null;
    }
    return new ScoreCalibration(
        m.get("mean"),
        m.get("std"),
        m.get("threshold"),
        m.getOrDefault("falseAlarmRate", 0.01),
        m.getOrDefault("count", 0.0).intValue(),
        m.getOrDefault("empirical", 0.0) == 1.0);
  }

  /** Standard normal CDF. */
  public static double normalCdf(double z) {
    return STANDARD_NORMAL.cumulativeProbability(z);
  }

  /** Inverse standard normal CDF. */
  public static double inverseNormalCdf(double p) {
    if (!(p > 0 && p < 1)) {
      throw new IllegalArgumentException("p must be in (0, 1), was " + p);
    }
    return STANDARD_NORMAL.inverseCumulativeProbability(p);
  }
}
