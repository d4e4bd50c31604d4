package io.tailwatch.detector.scoring;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How normal image scores are distributed for one bank, from held-out normal images: a Gaussian fit, the
 * threshold that keeps the configured false-alarm rate under it, and the calibrated score
 * {@code Phi((s - mean) / std)} (the fraction of normal scores below s; 0.99 = higher than 99% of normals).
 *
 * <p>A Gaussian is a start; the online statistics of the streaming job refine it (the weighting issue).
 */
public record ScoreCalibration(double mean, double std, double threshold, double falseAlarmRate, int count) {
  public ScoreCalibration {
    if (!(std > 0) || !Double.isFinite(mean) || !Double.isFinite(threshold)) {
      throw new IllegalArgumentException("calibration needs finite mean/threshold and std > 0, was mean=" + mean
          + " std=" + std + " threshold=" + threshold);
    }
    if (!(falseAlarmRate > 0 && falseAlarmRate < 0.5)) {
      throw new IllegalArgumentException("falseAlarmRate must be in (0, 0.5), was " + falseAlarmRate);
    }
  }

  /** Fits a Gaussian to normal scores (at least 2) and puts the threshold at its (1 - far) quantile. */
  public static ScoreCalibration fit(double[] normalScores, double falseAlarmRate) {
    if (normalScores.length < 2) {
      throw new IllegalArgumentException("calibration needs at least 2 normal scores, got " + normalScores.length);
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
    return new ScoreCalibration(mean, std, mean + inverseNormalCdf(1 - falseAlarmRate) * std, falseAlarmRate,
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
    if (m == null || !m.containsKey("mean") || !m.containsKey("std") || !m.containsKey("threshold")) {
      return null;
    }
    return new ScoreCalibration(m.get("mean"), m.get("std"), m.get("threshold"),
        m.getOrDefault("falseAlarmRate", 0.01), m.getOrDefault("count", 0.0).intValue());
  }

  /** Standard normal CDF (erfc-based, |error| < 1.2e-7). */
  public static double normalCdf(double z) {
    double t = 1 / (1 + 0.5 * Math.abs(z) / Math.sqrt(2));
    double x = Math.abs(z) / Math.sqrt(2);
    double erfc = t * Math.exp(-x * x - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418
        + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223
        + t * 0.17087277)))))))));
    return z >= 0 ? 1 - erfc / 2 : erfc / 2;
  }

  /** Inverse standard normal CDF (Acklam's rational approximation, relative error < 1.2e-9). */
  public static double inverseNormalCdf(double p) {
    if (!(p > 0 && p < 1)) {
      throw new IllegalArgumentException("p must be in (0, 1), was " + p);
    }
    double[] a = {-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02,
        -3.066479806614716e+01, 2.506628277459239e+00};
    double[] b = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01,
        -1.328068155288572e+01};
    double[] c = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00,
        4.374664141464968e+00, 2.938163982698783e+00};
    double[] d = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00};
    double low = 0.02425;
    if (p < low) {
      double q = Math.sqrt(-2 * Math.log(p));
      return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5])
          / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    }
    if (p > 1 - low) {
      return -inverseNormalCdf(1 - p);
    }
    double q = p - 0.5;
    double r = q * q;
    return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q
        / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  }
}
