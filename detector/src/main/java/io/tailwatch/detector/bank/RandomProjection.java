package io.tailwatch.detector.bank;

import java.util.SplittableRandom;

/** A dense Gaussian random projection (Johnson-Lindenstrauss), entries N(0, 1/out). */
public final class RandomProjection {
  private final int in;
  private final int out;
  private final float[] matrix; // [in][out]

  private RandomProjection(int in, int out, float[] matrix) {
    this.in = in;
    this.out = out;
    this.matrix = matrix;
  }

  public static RandomProjection gaussian(int in, int out, long seed) {
    if (in <= 0 || out <= 0) {
      throw new IllegalArgumentException("projection dims must be positive");
    }
    SplittableRandom r = new SplittableRandom(seed);
    float[] m = new float[in * out];
    double scale = 1.0 / Math.sqrt(out);
    for (int i = 0; i < m.length; i++) {
      m[i] = (float) (gaussian(r) * scale);
    }
    return new RandomProjection(in, out, m);
  }

  /** A copy of the matrix, {@code in x out} row-major (x . M projects a row x). */
  public float[] matrix() {
    return matrix.clone();
  }

  public int outputDim() {
    return out;
  }

  /** Projects n row vectors of {@code in} values. */
  public float[] project(float[] data, int n) {
    float[] result = new float[n * out];
    float[] acc = new float[out];
    for (int r = 0; r < n; r++) {
      java.util.Arrays.fill(acc, 0f);
      int base = r * in;
      for (int k = 0; k < in; k++) {
        float v = data[base + k];
        if (v == 0f) {
          continue;
        }
        int mrow = k * out;
        for (int j = 0; j < out; j++) {
          acc[j] += v * matrix[mrow + j];
        }
      }
      System.arraycopy(acc, 0, result, r * out, out);
    }
    return result;
  }

  static double gaussian(SplittableRandom r) {
    // Box-Muller; SplittableRandom has no nextGaussian on Java 17
    double u1 = r.nextDouble();
    double u2 = r.nextDouble();
    return Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
  }
}
