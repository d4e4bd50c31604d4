package io.tailwatch.detector.hyperspectral;

import java.util.Locale;

/**
 * Global Reed-Xiaoli detector: the squared Mahalanobis distance of each pixel's spectrum to the
 * background mean and covariance, computed by a Cholesky solve (never an explicit inverse). The
 * covariance is shrunk towards a scaled identity: C + ridge * (trace(C) / B) * I. Ridge 0 is the
 * classic RX of the published figures; a small ridge (1e-4) keeps near-singular scenes solvable and
 * changes some scenes' AUROC noticeably, so every figure names its ridge.
 */
public final class RxDetector implements PixelDetector {
  public static final double DEFAULT_RIDGE = 1e-4;

  private final int bands;
  private final double ridge;
  private final double[] mean;
  private final double[] cholesky;

  private RxDetector(int bands, double ridge, double[] mean, double[] cholesky) {
    this.bands = bands;
    this.ridge = ridge;
    this.mean = mean;
    this.cholesky = cholesky;
  }

  /**
   * Fits the background statistics on every pixel of {@code background} (usually the scene itself).
   */
  public static RxDetector fit(SpectralCube background, double ridge) {
    checkRidge(ridge);
    int b = background.bands();
    int n = background.pixels();
    if (n <= b && ridge == 0) {
      throw new IllegalArgumentException(
          "RX needs more pixels (" + n + ") than bands (" + b + ") without a ridge; use ridge > 0");
    }
    double[] mean = SymmetricMatrices.mean(background.values(), n, b);
    double[] cov = SymmetricMatrices.covariance(background.values(), n, b, mean);
    double shrink = ridge * SymmetricMatrices.trace(cov, b) / b;
    for (int i = 0; i < b; i++) {
      cov[i * b + i] += shrink;
    }
    return new RxDetector(b, ridge, mean, SymmetricMatrices.cholesky(cov, b));
  }

  /** Refuses a negative, NaN or infinite ridge. */
  public static void checkRidge(double ridge) {
    if (!(ridge >= 0) || Double.isInfinite(ridge)) {
      throw new IllegalArgumentException("ridge must be >= 0, was " + ridge);
    }
  }

  /** The ridge as figures state it: {@code 0} or e.g. {@code 1e-04}. */
  public static String ridgeLabel(double ridge) {
    return ridge == 0 ? "0" : String.format(Locale.ROOT, "%.0e", ridge);
  }

  @Override
  public String name() {
    return "RX";
  }

  @Override
  public String describe() {
    return "global RX, ridge=" + ridgeLabel(ridge) + "*trace/B";
  }

  @Override
  public float[] score(SpectralCube cube) {
    if (cube.bands() != bands) {
      throw new IllegalArgumentException(
          "cube has " + cube.bands() + " bands, detector was fitted on " + bands);
    }
    float[] x = cube.values();
    float[] out = new float[cube.pixels()];
    double[] v = new double[bands];
    for (int p = 0; p < out.length; p++) {
      int o = p * bands;
      for (int j = 0; j < bands; j++) {
        v[j] = x[o + j] - mean[j];
      }
      out[p] = (float) SymmetricMatrices.forwardSolveNorm2(cholesky, bands, v);
    }
    return out;
  }
}
