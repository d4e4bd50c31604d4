package io.tailwatch.detector.scoring;

import io.tailwatch.detector.bank.MemoryBank;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How an image's patch distances become its image score: PatchCore's maximum (k = 1), or the mean
 * of the k largest. One patch can be the only far one on a normal image (a speck of dust, a texture
 * boundary); a defect usually moves several neighbouring patches, so the mean of a few top
 * distances separates them better (measured in docs/detection.md, "Image score"). The bank records
 * k ({@link #TOP_K} in its header's params) as it records its tiling: its threshold was calibrated
 * on scores computed that way, so every scorer of the bank must compute them the same way, and
 * banks merged from it inherit it ({@link #inherited}).
 */
public final class ImageScoring {
  public static final String TOP_K = "image.top-k";

  /** The most patches averaged; more than a few dozen turns a local defect into a global mean. */
  public static final int MAX_TOP_K = 64;

  private ImageScoring() {}

  /**
   * k, or an IllegalArgumentException naming {@code what} (an option, a bank's param) and the
   * limit.
   */
  public static int requireTopK(int k, String what) {
    if (k < 1 || k > MAX_TOP_K) {
      throw new IllegalArgumentException(what + " must be in [1, " + MAX_TOP_K + "], was " + k);
    }
    return k;
  }

  /** The k a bank's image scores are computed with (1: the maximum, for banks without it). */
  public static int topK(MemoryBank bank) {
    Map<String, Object> p = bank.header().params();
    if (p == null || !(p.get(TOP_K) instanceof Number n)) {
      return 1;
    }
    return requireTopK(n.intValue(), "bank " + bank.header().bankVersion() + ": " + TOP_K);
  }

  /** The bank with k recorded (1: unchanged, the maximum is what a bank without it means). */
  public static MemoryBank record(MemoryBank bank, int k) {
    if (requireTopK(k, "image top-k") == 1) {
      return bank;
    }
    Map<String, Object> p =
        new LinkedHashMap<>(bank.header().params() == null ? Map.of() : bank.header().params());
    p.put(TOP_K, k);
    return bank.withParams(p);
  }

  /**
   * The params of a bank's header that say how frames are scored with it (tiling, image top-k): a
   * bank derived from it (an online merge) must carry them, or its scorers would score another way
   * than the threshold it inherits was calibrated for.
   */
  public static Map<String, Object> inherited(Map<String, Object> params) {
    Map<String, Object> out = new LinkedHashMap<>();
    if (params != null) {
      for (String key : new String[] {TiledScoring.TILE_SIZE, TiledScoring.TILE_STRIDE, TOP_K}) {
        if (params.containsKey(key)) {
          out.put(key, params.get(key));
        }
      }
    }
    return out;
  }

  /**
   * The mean of the {@code k} largest of {@code d[from .. from + n)} (all of them when n < k),
   * without sorting the range: k is small, so a k-element insertion buffer, O(n k) at worst.
   */
  public static double topKMean(float[] d, int from, int n, int k) {
    if (k <= 1) {
      float best = Float.NEGATIVE_INFINITY;
      for (int j = from; j < from + n; j++) {
        best = Math.max(best, d[j]);
      }
      return best;
    }
    int m = Math.min(k, n);
    float[] top = new float[m]; // descending
    int filled = 0;
    for (int j = from; j < from + n; j++) {
      float v = d[j];
      if (filled == m && v <= top[m - 1]) {
        continue;
      }
      int at = filled < m ? filled++ : m - 1;
      while (at > 0 && top[at - 1] < v) {
        top[at] = top[at - 1];
        at--;
      }
      top[at] = v;
    }
    double sum = 0;
    for (int i = 0; i < filled; i++) {
      sum += top[i];
    }
    return sum / filled;
  }
}
