package io.tailwatch.detector.stats;

/**
 * Gaussian kernel density estimates on an equally spaced grid (binned KDE): the masses at the grid
 * points are convolved with a truncated Gaussian kernel. The one KDE of the project: the online
 * score statistics smooth their decayed histogram with it, the importance-weighted loss the
 * linearly binned scores of a batch.
 *
 * <p>Hand-written rather than a library's: the grids are the callers' own (a decayed histogram, a
 * linear binning), and the convolution is a dozen lines; commons-math3 has no binned KDE.
 */
public final class GaussianKde {
  private static final double SQRT_2PI = Math.sqrt(2 * Math.PI);

  private GaussianKde() {}

  /**
   * Silverman's rule of thumb: h = 0.9 min(sd, IQR / 1.34) n^(-1/5); sd alone when the IQR is zero.
   */
  public static double silvermanBandwidth(double sd, double iqr, double n) {
    double spread = iqr > 0 ? Math.min(sd, iqr / 1.34) : sd;
    return 0.9 * spread * Math.pow(n, -0.2);
  }

  /**
   * Density at every grid point: sum_j mass[j] K((i - j) step / h) / (total h sqrt(2 pi)), the
   * kernel cut at {@code cutoffSigmas} bandwidths.
   *
   * @param mass weight at each grid point (counts, decayed counts or linear-binning shares)
   * @param step grid spacing
   * @param h bandwidth, positive
   * @param total the total mass the density is normalised by
   */
  public static double[] onGrid(
      double[] mass, double step, double h, double total, double cutoffSigmas) {
    if (!(h > 0 && step > 0 && total > 0)) {
      throw new IllegalArgumentException(
          "KDE needs positive bandwidth, step and mass, were h="
              + h
              + " step="
              + step
              + " total="
              + total);
    }
    int n = mass.length;
    int reach = (int) Math.min(n, Math.ceil(cutoffSigmas * h / step));
    double[] kernel = new double[reach + 1];
    for (int k = 0; k <= reach; k++) {
      double z = k * step / h;
      kernel[k] = Math.exp(-0.5 * z * z) / (total * h * SQRT_2PI);
    }
    double[] density = new double[n];
    for (int i = 0; i < n; i++) {
      if (mass[i] == 0) {
        continue;
      }
      int from = Math.max(0, i - reach);
      int to = Math.min(n - 1, i + reach);
      for (int j = from; j <= to; j++) {
        density[j] += mass[i] * kernel[Math.abs(j - i)];
      }
    }
    return density;
  }
}
