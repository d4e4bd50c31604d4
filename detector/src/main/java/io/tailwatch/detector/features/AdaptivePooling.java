package io.tailwatch.detector.features;

/**
 * 1-D adaptive average pooling as a matrix, PyTorch semantics: output i averages inputs
 * [floor(i*L/out), ceil((i+1)*L/out)); windows overlap when L/out is not an integer. As a matrix it
 * runs as one MatMul on whatever execution provider the rest of the graph uses.
 */
public final class AdaptivePooling {
  private AdaptivePooling() {}

  public static int windowStart(int i, int length, int out) {
    return (int) Math.floorDiv((long) i * length, out);
  }

  public static int windowEnd(int i, int length, int out) {
    return (int) -Math.floorDiv(-(long) (i + 1) * length, out);
  }

  /** Row-major [length][out] matrix P so that pooled = x * P. Refuses to upsample. */
  public static float[] matrix(int length, int out) {
    if (out <= 0 || out > length) {
      throw new IllegalArgumentException(
          "adaptive pooling from "
              + length
              + " to "
              + out
              + " values would "
              + (out > length ? "upsample" : "be empty")
              + "; choose a dimension in [1, "
              + length
              + "]");
    }
    float[] p = new float[length * out];
    for (int i = 0; i < out; i++) {
      int s = windowStart(i, length, out);
      int e = windowEnd(i, length, out);
      float w = 1f / (e - s);
      for (int j = s; j < e; j++) {
        p[j * out + i] = w;
      }
    }
    return p;
  }
}
