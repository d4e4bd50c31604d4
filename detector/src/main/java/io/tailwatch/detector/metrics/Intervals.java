package io.tailwatch.detector.metrics;

import java.util.Arrays;
import org.apache.commons.math3.distribution.NormalDistribution;
import org.apache.commons.math3.distribution.TDistribution;

/**
 * 95% confidence intervals for the figures an evaluation reports. Several real classes have only a
 * handful of defective test images, so a bare AUROC or false-alarm rate overstates what is known.
 */
public final class Intervals {
  public static final double LEVEL = 0.95;
  private static final double Z =
      new NormalDistribution(null, 0, 1).inverseCumulativeProbability(1 - (1 - LEVEL) / 2);

  /** An estimate with its interval; low and high are NaN where no interval exists. */
  public record Interval(double estimate, double low, double high) {
    public static Interval none(double estimate) {
      return new Interval(estimate, Double.NaN, Double.NaN);
    }

    public double halfWidth() {
      return (high - low) / 2;
    }
  }

  private Intervals() {}

  /**
   * AUROC with the Hanley and McNeil (1982) standard error, SE^2 = (A(1-A) + (P-1)(Q1 - A^2) +
   * (N-1)(Q2 - A^2)) / (P N), Q1 = A / (2 - A), Q2 = 2A^2 / (1 + A); clipped to [0, 1].
   */
  public static Interval auroc(double auc, int positives, int negatives) {
    if (Double.isNaN(auc) || positives == 0 || negatives == 0) {
      return Interval.none(auc);
    }
    double q1 = auc / (2 - auc);
    double q2 = 2 * auc * auc / (1 + auc);
    double var =
        (auc * (1 - auc) + (positives - 1) * (q1 - auc * auc) + (negatives - 1) * (q2 - auc * auc))
            / ((double) positives * negatives);
    double se = Math.sqrt(Math.max(0, var));
    return new Interval(auc, Math.max(0, auc - Z * se), Math.min(1, auc + Z * se));
  }

  /** A proportion k / n with the Wilson score interval (sound at k = 0 and for small n). */
  public static Interval proportion(int k, int n) {
    if (n <= 0) {
      return Interval.none(Double.NaN);
    }
    double p = (double) k / n;
    double z2 = Z * Z;
    double centre = (p + z2 / (2 * n)) / (1 + z2 / n);
    double half = Z * Math.sqrt(p * (1 - p) / n + z2 / (4.0 * n * n)) / (1 + z2 / n);
    return new Interval(p, Math.max(0, centre - half), Math.min(1, centre + half));
  }

  /**
   * The mean of per-class figures with Student's t interval (classes as the sample); NaN values are
   * left out; no interval below two values.
   */
  public static Interval mean(double[] values) {
    double[] v = Arrays.stream(values).filter(x -> !Double.isNaN(x)).toArray();
    if (v.length == 0) {
      return Interval.none(Double.NaN);
    }
    double mean = Arrays.stream(v).average().orElseThrow();
    if (v.length < 2) {
      return Interval.none(mean);
    }
    double ss = 0;
    for (double x : v) {
      ss += (x - mean) * (x - mean);
    }
    double sd = Math.sqrt(ss / (v.length - 1));
    double t =
        new TDistribution(null, v.length - 1).inverseCumulativeProbability(1 - (1 - LEVEL) / 2);
    double half = t * sd / Math.sqrt(v.length);
    return new Interval(mean, mean - half, mean + half);
  }
}
