package io.tailwatch.detector.hyperspectral;

import java.util.Locale;

/**
 * Local (dual-window) RX: each pixel's Mahalanobis distance to the mean and covariance of the
 * pixels inside an outer window but outside an inner guard window centred on it (windows clipped at
 * the image border), so the background adapts to the neighbourhood and a target does not
 * contaminate its own statistics. Spectra are first projected onto the scene's top {@code
 * components} principal components: a 21 x 21 window holds a few hundred pixels, too few for a
 * full-band covariance. Window sums of the projected values and their products come from integral
 * images, so a pixel costs O(k^2) to gather plus a k x k Cholesky solve, whatever the window size.
 */
public final class LocalRxDetector implements PixelDetector {
  public static final int DEFAULT_COMPONENTS = 10;
  public static final int DEFAULT_OUTER = 21;
  public static final int DEFAULT_INNER = 7;
  public static final double DEFAULT_RIDGE = 1e-6;

  private final SpectralFeatures features;
  private final int k;
  private final int outer;
  private final int inner;
  private final double ridge;

  private LocalRxDetector(SpectralFeatures features, int outer, int inner, double ridge) {
    this.features = features;
    this.k = features.dim();
    this.outer = outer;
    this.inner = inner;
    this.ridge = ridge;
  }

  /**
   * @param outer odd outer window side
   * @param inner odd guard window side, smaller than {@code outer}
   */
  public static LocalRxDetector fit(
      SpectralCube scene, int components, int outer, int inner, double ridge) {
    checkSettings(components, outer, inner, ridge);
    SpectralFeatures f =
        SpectralFeatures.fit(
            new SpectralFeatures.Options(
                1,
                SpectralFeatures.Normalisation.NONE,
                SpectralFeatures.Projection.PCA,
                components,
                0),
            scene);
    return new LocalRxDetector(f, outer, inner, ridge);
  }

  /** Refuses windows that are not odd with 1 <= inner < outer, no components, or a bad ridge. */
  public static void checkSettings(int components, int outer, int inner, double ridge) {
    if (outer % 2 == 0 || inner % 2 == 0 || inner < 1 || inner >= outer) {
      throw new IllegalArgumentException(
          "windows must be odd with 1 <= inner < outer, got outer " + outer + ", inner " + inner);
    }
    if (components < 1) {
      throw new IllegalArgumentException("components must be positive, was " + components);
    }
    RxDetector.checkRidge(ridge);
  }

  @Override
  public String name() {
    return "local RX";
  }

  @Override
  public String describe() {
    return String.format(
        Locale.ROOT,
        "dual-window RX, outer %d, inner %d, on %d principal components, " + "ridge=%.0e*trace/k",
        outer,
        inner,
        k,
        ridge);
  }

  @Override
  public float[] score(SpectralCube cube) {
    int h = cube.lines();
    int w = cube.samples();
    float[] x = features.transform(cube);
    int pairs = k * (k + 1) / 2;
    int stride = 1 + k + pairs; // count, sums, products (upper triangle)
    // integral image over (h + 1) x (w + 1) cells
    double[] integral = new double[(h + 1) * (w + 1) * stride];
    double[] cell = new double[stride];
    for (int r = 0; r < h; r++) {
      for (int c = 0; c < w; c++) {
        int o = (r * w + c) * k;
        cell[0] = 1;
        int q = 1 + k;
        for (int a = 0; a < k; a++) {
          double xa = x[o + a];
          cell[1 + a] = xa;
          for (int b = a; b < k; b++) {
            cell[q++] = xa * x[o + b];
          }
        }
        int dst = ((r + 1) * (w + 1) + c + 1) * stride;
        int up = (r * (w + 1) + c + 1) * stride;
        int left = ((r + 1) * (w + 1) + c) * stride;
        int diag = (r * (w + 1) + c) * stride;
        for (int i = 0; i < stride; i++) {
          integral[dst + i] = cell[i] + integral[up + i] + integral[left + i] - integral[diag + i];
        }
      }
    }
    int ro = outer / 2;
    int ri = inner / 2;
    double[] sums = new double[stride];
    double[] guard = new double[stride];
    double[] cov = new double[k * k];
    double[] v = new double[k];
    double[] mean = new double[k];
    double[] factor = new double[k * k];
    float[] out = new float[h * w];
    for (int r = 0; r < h; r++) {
      for (int c = 0; c < w; c++) {
        box(integral, w, stride, r - ro, c - ro, r + ro, c + ro, h, sums);
        box(integral, w, stride, r - ri, c - ri, r + ri, c + ri, h, guard);
        double n = sums[0] - guard[0];
        for (int a = 0; a < k; a++) {
          mean[a] = (sums[1 + a] - guard[1 + a]) / n;
        }
        int q = 1 + k;
        double trace = 0;
        for (int a = 0; a < k; a++) {
          for (int b = a; b < k; b++) {
            double s = (sums[q] - guard[q]) / n - mean[a] * mean[b];
            q++;
            cov[a * k + b] = s;
            cov[b * k + a] = s;
          }
          trace += cov[a * k + a];
        }
        double shrink = Math.max(ridge * trace / k, 1e-12 * Math.max(trace, 1e-300));
        for (int a = 0; a < k; a++) {
          cov[a * k + a] += shrink;
        }
        int o = (r * w + c) * k;
        for (int a = 0; a < k; a++) {
          v[a] = x[o + a] - mean[a];
        }
        out[r * w + c] =
            (float)
                SymmetricMatrices.forwardSolveNorm2(
                    SymmetricMatrices.cholesky(cov, k, factor), k, v);
      }
    }
    return out;
  }

  /**
   * Sums over rows r0..r1, columns c0..c1 (inclusive, clipped to the image) from the integral
   * image.
   */
  private static void box(
      double[] integral, int w, int stride, int r0, int c0, int r1, int c1, int h, double[] out) {
    r0 = Math.max(r0, 0);
    c0 = Math.max(c0, 0);
    r1 = Math.min(r1, h - 1);
    c1 = Math.min(c1, w - 1);
    int a = ((r1 + 1) * (w + 1) + c1 + 1) * stride;
    int b = (r0 * (w + 1) + c1 + 1) * stride;
    int c = ((r1 + 1) * (w + 1) + c0) * stride;
    int d = (r0 * (w + 1) + c0) * stride;
    for (int i = 0; i < stride; i++) {
      out[i] = integral[a + i] - integral[b + i] - integral[c + i] + integral[d + i];
    }
  }
}
