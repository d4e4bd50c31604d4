package io.tailwatch.detector.image;

/**
 * A planar (channel-major) float image with values in [0, 1]. {@code data[c * height * width + y *
 * width + x]}.
 */
public record FloatImage(int width, int height, int channels, float[] data) {
  public FloatImage {
    if (width <= 0 || height <= 0) {
      throw new IllegalArgumentException(
          "image size must be positive, was " + width + "x" + height);
    }
    if (channels != 1 && channels != 3) {
      throw new IllegalArgumentException("channels must be 1 or 3, was " + channels);
    }
    if (data.length != (long) width * height * channels) {
      throw new IllegalArgumentException(
          "data has "
              + data.length
              + " values, "
              + width
              + "x"
              + height
              + "x"
              + channels
              + " needs "
              + (long) width * height * channels);
    }
  }

  public float get(int c, int y, int x) {
    return data[(c * height + y) * width + x];
  }

  /** Luma (or the single channel) as a width*height array, for overlays. */
  public float[] gray() {
    int n = width * height;
    if (channels == 1) {
      return data.clone();
    }
    float[] out = new float[n];
    for (int i = 0; i < n; i++) {
      out[i] = 0.299f * data[i] + 0.587f * data[n + i] + 0.114f * data[2 * n + i];
    }
    return out;
  }
}
