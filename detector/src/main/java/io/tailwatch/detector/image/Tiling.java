package io.tailwatch.detector.image;

import java.util.ArrayList;
import java.util.List;

/**
 * Square tiles over a frame larger than the backbone input, so that small defects keep their pixels
 * instead of vanishing in a whole-frame resize: windows of {@code tile} pixels every {@code stride}
 * pixels (stride &lt; tile overlaps them), the last window on each axis flush with the frame's
 * edge; an axis shorter than a tile is one window of its length. Each window then goes through the
 * usual preprocessing; the windows' anomaly maps are stitched back at full resolution, overlaps
 * averaged, and the image score is the maximum over windows.
 */
public record Tiling(int tile, int stride) {
  /** A window in frame pixels. */
  public record Window(int x, int y, int width, int height) {}

  public Tiling {
    if (tile < 16) {
      throw new IllegalArgumentException("tile size must be at least 16 pixels, was " + tile);
    }
    if (stride <= 0 || stride > tile) {
      throw new IllegalArgumentException(
          "tile stride must be in [1, tile size " + tile + "], was " + stride);
    }
  }

  /** Windows covering a {@code width} x {@code height} frame, row by row. */
  public List<Window> windows(int width, int height) {
    int[] xs = starts(width);
    int[] ys = starts(height);
    int w = Math.min(tile, width);
    int h = Math.min(tile, height);
    List<Window> out = new ArrayList<>(xs.length * ys.length);
    for (int y : ys) {
      for (int x : xs) {
        out.add(new Window(x, y, w, h));
      }
    }
    return out;
  }

  private int[] starts(int size) {
    if (size <= tile) {
      return new int[] {0};
    }
    int n = (size - tile + stride - 1) / stride + 1; // windows until the last reaches the edge
    int[] s = new int[n];
    for (int i = 0; i < n; i++) {
      s[i] = Math.min(i * stride, size - tile);
    }
    return s;
  }

  /** The window's pixels, all channels. */
  public static FloatImage crop(FloatImage image, Window w) {
    int c = image.channels();
    float[] out = new float[c * w.width() * w.height()];
    float[] src = image.data();
    for (int ch = 0; ch < c; ch++) {
      for (int y = 0; y < w.height(); y++) {
        System.arraycopy(
            src,
            (ch * image.height() + w.y() + y) * image.width() + w.x(),
            out,
            (ch * w.height() + y) * w.width(),
            w.width());
      }
    }
    return new FloatImage(w.width(), w.height(), c, out);
  }

  /**
   * Stitches the windows' square maps ({@code mapSize} x {@code mapSize} each, in the window's
   * network geometry) into one {@code width} x {@code height} map: each map resized to its window,
   * overlapping pixels averaged.
   */
  public static float[] stitch(
      List<Window> windows, List<float[]> maps, int mapSize, int width, int height) {
    if (windows.size() != maps.size()) {
      throw new IllegalArgumentException(windows.size() + " windows but " + maps.size() + " maps");
    }
    Stitcher stitcher = new Stitcher(width, height);
    for (int i = 0; i < windows.size(); i++) {
      stitcher.add(windows.get(i), maps.get(i), mapSize);
    }
    return stitcher.finish();
  }

  /**
   * Stitching one window at a time, so that a caller need not keep every tile's map: the running
   * sum and overlap count are all it holds (8 bytes a frame pixel).
   */
  public static final class Stitcher {
    private final int width;
    private final float[] sum;
    private final int[] count;

    public Stitcher(int width, int height) {
      this.width = width;
      this.sum = new float[width * height];
      this.count = new int[width * height];
    }

    /** Adds one window's map ({@code mapSize}^2, resized to the window). */
    public void add(Window w, float[] map, int mapSize) {
      float[] m =
          Resampler.resize(new FloatImage(mapSize, mapSize, 1, map), w.width(), w.height()).data();
      for (int y = 0; y < w.height(); y++) {
        int row = (w.y() + y) * width + w.x();
        for (int x = 0; x < w.width(); x++) {
          sum[row + x] += m[y * w.width() + x];
          count[row + x]++;
        }
      }
    }

    /** The stitched map (overlaps averaged); every pixel must have been covered. */
    public float[] finish() {
      for (int i = 0; i < sum.length; i++) {
        if (count[i] == 0) {
          throw new IllegalStateException("the windows leave pixel " + i + " uncovered");
        }
        sum[i] /= count[i];
      }
      return sum;
    }
  }

  @Override
  public String toString() {
    return "tiles " + tile + " px, stride " + stride;
  }
}
