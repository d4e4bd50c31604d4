package io.tailwatch.detector.stats;

import java.util.Arrays;

/**
 * Sample quantiles, the one implementation the project uses.
 *
 * <p>Kept by hand rather than commons-math3's {@code Percentile}: the callers hold sorted arrays
 * and ask for a few quantiles each, where {@code Percentile} copies and re-selects the whole array
 * on every call.
 */
public final class Quantiles {
  private Quantiles() {}

  /**
   * The p-quantile of sorted values by linear interpolation between order statistics (Hyndman-Fan
   * type 7, R's and numpy's default): position p (n - 1).
   */
  public static double linear(double[] sorted, double p) {
    checkArguments(sorted.length, p);
    double pos = p * (sorted.length - 1);
    int i = (int) Math.floor(pos);
    int j = Math.min(i + 1, sorted.length - 1);
    return sorted[i] + (pos - i) * (sorted[j] - sorted[i]);
  }

  /**
   * {@link #linear(double[], double)} of unsorted values (copied, the argument is left as it is).
   */
  public static double linearOfUnsorted(float[] values, double p) {
    double[] sorted = new double[values.length];
    for (int i = 0; i < values.length; i++) {
      sorted[i] = values[i];
    }
    Arrays.sort(sorted);
    return linear(sorted, p);
  }

  /**
   * The nearest-rank p-quantile of sorted values (the smallest value with at least p n values at or
   * below it): always an observed value, as latency percentiles are reported.
   */
  public static double nearestRank(long[] sorted, double p) {
    checkArguments(sorted.length, p);
    return sorted[(int) Math.max(0, Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1))];
  }

  private static void checkArguments(int n, double p) {
    if (n == 0) {
      throw new IllegalArgumentException("quantile of no values");
    }
    if (!(p >= 0 && p <= 1)) {
      throw new IllegalArgumentException("quantile must be in [0, 1], was " + p);
    }
  }
}
