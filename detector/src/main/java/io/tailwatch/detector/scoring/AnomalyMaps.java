package io.tailwatch.detector.scoring;

/**
 * Patch-grid scores to a pixel anomaly map: bilinear upsampling, then Gaussian smoothing
 * (PatchCore's).
 */
public final class AnomalyMaps {
  public static final double DEFAULT_SIGMA = 4.0;

  private AnomalyMaps() {}

  /**
   * Bilinear resize of a {@code h x w} grid to {@code outH x outW}, align_corners=false with source
   * coordinates clamped at 0 (PyTorch's {@code F.interpolate(mode="bilinear")}).
   */
  public static float[] bilinear(float[] grid, int h, int w, int outH, int outW) {
    float[] out = new float[outH * outW];
    double sy = (double) h / outH;
    double sx = (double) w / outW;
    int[] x0 = new int[outW];
    int[] x1 = new int[outW];
    float[] lx = new float[outW];
    for (int x = 0; x < outW; x++) {
      double src = Math.max(0, (x + 0.5) * sx - 0.5);
      x0[x] = Math.min((int) src, w - 1);
      x1[x] = Math.min(x0[x] + 1, w - 1);
      lx[x] = (float) (src - x0[x]);
    }
    for (int y = 0; y < outH; y++) {
      double src = Math.max(0, (y + 0.5) * sy - 0.5);
      int y0 = Math.min((int) src, h - 1);
      int y1 = Math.min(y0 + 1, h - 1);
      float ly = (float) (src - y0);
      for (int x = 0; x < outW; x++) {
        float top = grid[y0 * w + x0[x]] * (1 - lx[x]) + grid[y0 * w + x1[x]] * lx[x];
        float bottom = grid[y1 * w + x0[x]] * (1 - lx[x]) + grid[y1 * w + x1[x]] * lx[x];
        out[y * outW + x] = top * (1 - ly) + bottom * ly;
      }
    }
    return out;
  }

  /**
   * Separable Gaussian blur, radius = round(4 sigma) (scipy's truncate=4), 'reflect' borders
   * (half-sample symmetric: d c b a | a b c d).
   */
  public static float[] gaussian(float[] img, int h, int w, double sigma) {
    if (sigma <= 0) {
      return img.clone();
    }
    int radius = (int) (4.0 * sigma + 0.5);
    float[] kernel = new float[2 * radius + 1];
    double sum = 0;
    for (int i = -radius; i <= radius; i++) {
      double v = Math.exp(-0.5 * i * i / (sigma * sigma));
      kernel[i + radius] = (float) v;
      sum += v;
    }
    for (int i = 0; i < kernel.length; i++) {
      kernel[i] /= (float) sum;
    }
    float[] tmp = new float[h * w];
    float[] out = new float[h * w];
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        float acc = 0;
        for (int k = -radius; k <= radius; k++) {
          acc += kernel[k + radius] * img[y * w + reflect(x + k, w)];
        }
        tmp[y * w + x] = acc;
      }
    }
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        float acc = 0;
        for (int k = -radius; k <= radius; k++) {
          acc += kernel[k + radius] * tmp[reflect(y + k, h) * w + x];
        }
        out[y * w + x] = acc;
      }
    }
    return out;
  }

  static int reflect(int i, int n) {
    while (i < 0 || i >= n) {
      i = i < 0 ? -i - 1 : 2 * n - i - 1;
    }
    return i;
  }

  /**
   * The full recipe: upsample to {@code size x size}, then blur. Both steps are linear and act on
   * rows and columns apart, so the map is {@code A_y . scores . A_x^T} with {@code A = G . B} (the
   * blur's and the upsampling's matrices along one axis, reflect borders included): two small
   * matrix products (1.6M multiply-adds at 28 -> 224) instead of an upsampled image blurred with a
   * 33-tap kernel twice (3.3M, with a border test per tap). Equal to {@code gaussian(bilinear(..))}
   * up to float rounding ({@code AnomalyMapsTest}).
   */
  public static float[] fromPatchScores(
      float[] patchScores, int gridH, int gridW, int size, double sigma) {
    float[] ay = axis(gridH, size, sigma);
    float[] ax = gridW == gridH ? ay : axis(gridW, size, sigma);
    // t = scores . A_x^T  (gridH x size)
    float[] t = new float[gridH * size];
    for (int i = 0; i < gridH; i++) {
      for (int j = 0; j < gridW; j++) {
        float v = patchScores[i * gridW + j];
        if (v == 0) {
          continue;
        }
        int row = i * size;
        for (int x = 0; x < size; x++) {
          t[row + x] += v * ax[x * gridW + j];
        }
      }
    }
    // out = A_y . t  (size x size)
    float[] out = new float[size * size];
    for (int y = 0; y < size; y++) {
      int row = y * size;
      for (int i = 0; i < gridH; i++) {
        float a = ay[y * gridH + i];
        if (a == 0) {
          continue;
        }
        int src = i * size;
        for (int x = 0; x < size; x++) {
          out[row + x] += a * t[src + x];
        }
      }
    }
    return out;
  }

  private static final java.util.Map<String, float[]> AXES =
      new java.util.concurrent.ConcurrentHashMap<>();

  /**
   * {@code G . B} along one axis: {@code size x n}, row {@code y} the weights of the {@code n} grid
   * cells in output pixel {@code y} after upsampling and blurring (cached per shape and sigma).
   */
  static float[] axis(int n, int size, double sigma) {
    return AXES.computeIfAbsent(
        n + "/" + size + "/" + sigma,
        k -> {
          // the columns of B: each grid cell's upsampled profile, then blurred along the axis
          float[] m = new float[size * n];
          for (int i = 0; i < n; i++) {
            float[] unit = new float[n];
            unit[i] = 1;
            float[] up = bilinear(unit, n, 1, size, 1);
            float[] blurred = gaussian(up, size, 1, sigma);
            for (int y = 0; y < size; y++) {
              m[y * n + i] = blurred[y];
            }
          }
          return m;
        });
  }
}
