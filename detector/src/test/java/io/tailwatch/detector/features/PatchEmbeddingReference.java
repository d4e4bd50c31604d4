package io.tailwatch.detector.features;

/**
 * A straightforward Java PatchCore embedding, written from the paper's description, to test the
 * ONNX graph.
 */
final class PatchEmbeddingReference {
  private PatchEmbeddingReference() {}

  /**
   * @param maps per layer [n][c][h][w] flattened; returns [n][h0*w0][target] flattened
   */
  static float[] embed(PatchEmbeddingSpec spec, int n, float[]... maps) {
    int h0 = spec.gridHeight();
    int w0 = spec.gridWidth();
    int layers = spec.layers().size();
    float[] out = new float[n * h0 * w0 * spec.targetDim()];
    for (int img = 0; img < n; img++) {
      for (int y = 0; y < h0; y++) {
        for (int x = 0; x < w0; x++) {
          float[] stacked = new float[spec.stackedDim()];
          int offset = 0;
          for (int l = 0; l < layers; l++) {
            FeatureLayer L = spec.layers().get(l);
            float[] unfolded = new float[L.channels() * 9];
            for (int c = 0; c < L.channels(); c++) {
              for (int k = 0; k < 9; k++) {
                unfolded[c * 9 + k] =
                    upsampledUnfold(maps[l], img, L, c, k / 3, k % 3, y, x, h0, w0);
              }
            }
            float[] pooled;
            if (spec.pretrainDim() == PatchEmbeddingSpec.PER_CHANNEL) {
              pooled =
                  new float[L.channels()]; // the 3x3 mean of each channel (zero padding counts)
              for (int c = 0; c < L.channels(); c++) {
                for (int k = 0; k < 9; k++) {
                  pooled[c] += unfolded[c * 9 + k] / 9;
                }
              }
            } else {
              pooled = pool(unfolded, spec.pretrainDim());
            }
            System.arraycopy(pooled, 0, stacked, offset, pooled.length);
            offset += pooled.length;
          }
          float[] v = pool(stacked, spec.targetDim());
          System.arraycopy(
              v, 0, out, ((img * h0 + y) * w0 + x) * spec.targetDim(), spec.targetDim());
        }
      }
    }
    return out;
  }

  /**
   * Bilinear (align_corners=false, clamped) sample of the unfolded map at output position (y, x).
   */
  private static float upsampledUnfold(
      float[] map, int img, FeatureLayer L, int c, int ki, int kj, int y, int x, int h0, int w0) {
    if (L.height() == h0 && L.width() == w0) {
      return unfold(map, img, L, c, ki, kj, y, x);
    }
    double sy = Math.max(0, (y + 0.5) * L.height() / h0 - 0.5);
    double sx = Math.max(0, (x + 0.5) * L.width() / w0 - 0.5);
    int y0 = (int) sy;
    int x0 = (int) sx;
    int y1 = Math.min(y0 + 1, L.height() - 1);
    int x1 = Math.min(x0 + 1, L.width() - 1);
    double ly = sy - y0;
    double lx = sx - x0;
    double top =
        unfold(map, img, L, c, ki, kj, y0, x0) * (1 - lx)
            + unfold(map, img, L, c, ki, kj, y0, x1) * lx;
    double bottom =
        unfold(map, img, L, c, ki, kj, y1, x0) * (1 - lx)
            + unfold(map, img, L, c, ki, kj, y1, x1) * lx;
    return (float) (top * (1 - ly) + bottom * ly);
  }

  /** Value of channel c at (y + ki - 1, x + kj - 1), zero outside. */
  private static float unfold(
      float[] map, int img, FeatureLayer L, int c, int ki, int kj, int y, int x) {
    int yy = y + ki - 1;
    int xx = x + kj - 1;
    if (yy < 0 || xx < 0 || yy >= L.height() || xx >= L.width()) {
      return 0;
    }
    return map[((img * L.channels() + c) * L.height() + yy) * L.width() + xx];
  }

  /** adaptive_avg_pool1d. */
  static float[] pool(float[] v, int out) {
    float[] r = new float[out];
    int len = v.length;
    for (int i = 0; i < out; i++) {
      int s = (int) Math.floor((double) i * len / out);
      int e = (int) Math.ceil((double) (i + 1) * len / out);
      double sum = 0;
      for (int j = s; j < e; j++) {
        sum += v[j];
      }
      r[i] = (float) (sum / (e - s));
    }
    return r;
  }
}
