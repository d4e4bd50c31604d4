package io.tailwatch.detector.image;

/**
 * Separable bilinear resampling with antialiasing when shrinking (the triangle filter widened by
 * the scale factor, as PIL's {@code Image.resize(BILINEAR)} and torchvision's antialiased Resize
 * do). Without it a 600 px tile shrunk to 224 px aliases fine texture into false patterns.
 */
public final class Resampler {
  private Resampler() {}

  public static FloatImage resize(FloatImage in, int outW, int outH) {
    if (outW <= 0 || outH <= 0) {
      throw new IllegalArgumentException("output size must be positive, was " + outW + "x" + outH);
    }
    if (outW == in.width() && outH == in.height()) {
      return in;
    }
    Filter fx = Filter.of(in.width(), outW);
    Filter fy = Filter.of(in.height(), outH);
    int c = in.channels();
    float[] tmp = new float[c * in.height() * outW];
    float[] out = new float[c * outH * outW];
    float[] src = in.data();
    for (int ch = 0; ch < c; ch++) {
      int srcBase = ch * in.height() * in.width();
      int tmpBase = ch * in.height() * outW;
      for (int y = 0; y < in.height(); y++) {
        int row = srcBase + y * in.width();
        for (int x = 0; x < outW; x++) {
          float acc = 0;
          int start = fx.start[x];
          int off = x * fx.span;
          for (int k = 0; k < fx.count[x]; k++) {
            acc += fx.weights[off + k] * src[row + start + k];
          }
          tmp[tmpBase + y * outW + x] = acc;
        }
      }
      int outBase = ch * outH * outW;
      for (int y = 0; y < outH; y++) {
        int start = fy.start[y];
        int off = y * fy.span;
        for (int x = 0; x < outW; x++) {
          float acc = 0;
          for (int k = 0; k < fy.count[y]; k++) {
            acc += fy.weights[off + k] * tmp[tmpBase + (start + k) * outW + x];
          }
          out[outBase + y * outW + x] = acc;
        }
      }
    }
    return new FloatImage(outW, outH, c, out);
  }

  /** Crops a centred window (used by the resize-256/crop-224 ImageNet recipe). */
  public static FloatImage centerCrop(FloatImage in, int w, int h) {
    if (w > in.width() || h > in.height()) {
      throw new IllegalArgumentException(
          "crop " + w + "x" + h + " larger than image " + in.width() + "x" + in.height());
    }
    int x0 = (in.width() - w) / 2;
    int y0 = (in.height() - h) / 2;
    float[] out = new float[in.channels() * w * h];
    for (int c = 0; c < in.channels(); c++) {
      for (int y = 0; y < h; y++) {
        System.arraycopy(
            in.data(), (c * in.height() + y0 + y) * in.width() + x0, out, (c * h + y) * w, w);
      }
    }
    return new FloatImage(w, h, in.channels(), out);
  }

  /** Per-output-pixel tap lists of a 1-D triangle filter. */
  private static final class Filter {
    final int[] start;
    final int[] count;
    final float[] weights;
    final int span;

    private Filter(int[] start, int[] count, float[] weights, int span) {
      this.start = start;
      this.count = count;
      this.weights = weights;
      this.span = span;
    }

    static Filter of(int inSize, int outSize) {
      double scale = (double) inSize / outSize;
      double support = Math.max(1.0, scale); // triangle of radius 1, widened when shrinking
      int span = (int) Math.ceil(support) * 2 + 1;
      int[] start = new int[outSize];
      int[] count = new int[outSize];
      float[] weights = new float[outSize * span];
      double invFilterScale = 1.0 / Math.max(1.0, scale);
      for (int i = 0; i < outSize; i++) {
        double center = (i + 0.5) * scale;
        int lo = Math.max(0, (int) Math.floor(center - support + 0.5));
        int hi = Math.min(inSize, (int) Math.floor(center + support + 0.5));
        double total = 0;
        int n = 0;
        double[] w = new double[hi - lo];
        for (int j = lo; j < hi; j++) {
          double t = Math.abs((j + 0.5 - center) * invFilterScale);
          double v = t < 1 ? 1 - t : 0;
          w[j - lo] = v;
          total += v;
        }
        // trim zero-weight taps at both ends
        int a = 0;
        int b = w.length;
        while (a < b && w[a] == 0) {
          a++;
        }
        while (b > a && w[b - 1] == 0) {
          b--;
        }
        n = b - a;
        if (n > span) {
          throw new IllegalStateException("filter span " + n + " > " + span);
        }
        start[i] = lo + a;
        count[i] = n;
        for (int k = 0; k < n; k++) {
          weights[i * span + k] = (float) (w[a + k] / total);
        }
      }
      return new Filter(start, count, weights, span);
    }
  }
}
