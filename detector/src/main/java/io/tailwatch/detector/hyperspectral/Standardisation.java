package io.tailwatch.detector.hyperspectral;

/**
 * Per-column centring and scaling of {@code n x d} row-major values: (x - mean) / scale. The
 * spectral bank's features and the autoencoder's input share it, so both treat a constant band the
 * same way (scale 1: it stays 0).
 */
public record Standardisation(float[] mean, float[] scale) {
  /** Mean and population standard deviation of every column. */
  public static Standardisation fit(float[] x, int n, int d) {
    double[] m = SymmetricMatrices.mean(x, n, d);
    double[] var = new double[d];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < d; j++) {
        double t = x[i * d + j] - m[j];
        var[j] += t * t;
      }
    }
    float[] mean = new float[d];
    float[] scale = new float[d];
    for (int j = 0; j < d; j++) {
      mean[j] = (float) m[j];
      double sd = Math.sqrt(var[j] / n);
      scale[j] =
          sd > 1e-12 ? (float) sd : 1f; // a constant band carries no information; leave it at 0
    }
    return new Standardisation(mean, scale);
  }

  /** Centring only (scale 1). */
  public static Standardisation centre(float[] x, int n, int d) {
    double[] m = SymmetricMatrices.mean(x, n, d);
    float[] mean = new float[d];
    float[] scale = new float[d];
    for (int j = 0; j < d; j++) {
      mean[j] = (float) m[j];
      scale[j] = 1f;
    }
    return new Standardisation(mean, scale);
  }

  public void applyInPlace(float[] x, int n) {
    int d = mean.length;
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < d; j++) {
        x[i * d + j] = (x[i * d + j] - mean[j]) / scale[j];
      }
    }
  }

  /** A standardised copy. */
  public float[] apply(float[] x, int n) {
    float[] out = java.util.Arrays.copyOf(x, n * mean.length);
    applyInPlace(out, n);
    return out;
  }
}
