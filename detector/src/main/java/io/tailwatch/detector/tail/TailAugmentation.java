package io.tailwatch.detector.tail;

import io.tailwatch.detector.image.FloatImage;
import io.tailwatch.detector.image.ImageDecodeException;
import io.tailwatch.detector.image.ImageSource;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Rotated and flipped copies of tail images for TailedCore's tail memory. The uncropped image is
 * rotated about its centre with replicate padding (no black corners enter the memory), before the
 * usual resize + crop.
 */
public enum TailAugmentation {
  /** 15 degree steps x flip: 47 copies (TailedCore's MVTec step-tail setting). */
  ROT15FLIP(15, true),
  /** 30 degree steps x flip: 23 copies (pareto setting). */
  ROT30FLIP(30, true),
  /** 90 degree steps x flip: 7 copies (VisA setting). */
  ROTFLIP(90, true),
  /** No copies. */
  NONE(0, false);

  private final int stepDegrees;
  private final boolean flip;

  TailAugmentation(int stepDegrees, boolean flip) {
    this.stepDegrees = stepDegrees;
    this.flip = flip;
  }

  public static TailAugmentation parse(String text) {
    try {
      return valueOf(text.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "unknown tail augmentation '"
              + text
              + "'; expected rot15flip, rot30flip, rotflip or none");
    }
  }

  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Copies per image, the original not counted. */
  public int copies() {
    if (stepDegrees == 0) {
      return 0;
    }
    return (360 / stepDegrees) * (flip ? 2 : 1) - 1;
  }

  /** The original followed by its copies, each as a lazily transformed source. */
  public List<ImageSource> expand(ImageSource image) {
    List<ImageSource> out = new ArrayList<>();
    out.add(image);
    if (stepDegrees == 0) {
      return out;
    }
    for (int f = 0; f < (flip ? 2 : 1); f++) {
      for (int a = 0; a < 360; a += stepDegrees) {
        if (a == 0 && f == 0) {
          continue;
        }
        int angle = a;
        boolean mirrored = f == 1;
        out.add(
            new ImageSource() {
              @Override
              public String id() {
                return image.id() + "@rot" + angle + (mirrored ? "f" : "");
              }

              @Override
              public FloatImage load() throws IOException, ImageDecodeException {
                return rotate(image.load(), angle, mirrored);
              }
            });
      }
    }
    return out;
  }

  /**
   * The image mirrored left-right (when {@code flip}), then rotated by {@code degrees} about its
   * centre; bilinear sampling, out-of-image coordinates clamped to the border (replicate padding).
   */
  public static FloatImage rotate(FloatImage src, double degrees, boolean flip) {
    int w = src.width();
    int h = src.height();
    int c = src.channels();
    float[] out = new float[src.data().length];
    double rad = Math.toRadians(degrees);
    double cos = Math.cos(rad);
    double sin = Math.sin(rad);
    double cx = (w - 1) / 2.0;
    double cy = (h - 1) / 2.0;
    float[] in = src.data();
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        // inverse mapping: where in the source does this output pixel come from
        double dx = x - cx;
        double dy = y - cy;
        double sx = cos * dx + sin * dy + cx;
        double sy = -sin * dx + cos * dy + cy;
        if (flip) {
          sx = w - 1 - sx;
        }
        sx = Math.max(0, Math.min(w - 1, sx));
        sy = Math.max(0, Math.min(h - 1, sy));
        int x0 = (int) Math.floor(sx);
        int y0 = (int) Math.floor(sy);
        int x1 = Math.min(x0 + 1, w - 1);
        int y1 = Math.min(y0 + 1, h - 1);
        double fx = sx - x0;
        double fy = sy - y0;
        for (int ch = 0; ch < c; ch++) {
          int plane = ch * w * h;
          double top = in[plane + y0 * w + x0] * (1 - fx) + in[plane + y0 * w + x1] * fx;
          double bottom = in[plane + y1 * w + x0] * (1 - fx) + in[plane + y1 * w + x1] * fx;
          out[plane + y * w + x] = (float) (top * (1 - fy) + bottom * fy);
        }
      }
    }
    return new FloatImage(w, h, c, out);
  }
}
