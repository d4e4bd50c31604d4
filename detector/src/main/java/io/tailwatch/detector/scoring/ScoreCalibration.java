package io.tailwatch.detector.scoring;

import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.commons.math3.distribution.NormalDistribution;

/**
 * How normal image scores are distributed for one bank, from held-out normal images: a Gaussian
 * fit, the threshold that keeps the configured false-alarm rate under it, and the calibrated score
 * {@code Phi((s - mean) / std)} (the fraction of normal scores below s; 0.99 = higher than 99% of
 * normals).
 *
 * <p>A Gaussian is a start; the online statistics of the streaming job refine it (the weighting
 * issue).
 */
public record ScoreCalibration(
    double mean, double std, double threshold, double falseAlarmRate, int count) {
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
    return new ScoreCalibration(
        mean,
        std,
        mean + inverseNormalCdf(1 - falseAlarmRate) * std,
        falseAlarmRate,
        normalScores.length);
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
        m.getOrDefault("count", 0.0).intValue());
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
