package io.tailwatch.detector.metrics;

import io.tailwatch.detector.util.ConnectedComponents;
import java.util.ArrayList;
import java.util.List;

/**
 * Accumulates anomaly maps and ground-truth masks; computes pixel AUROC, pixel AP, and PRO
 * (per-region overlap, Bergmann et al.: mean over ground-truth regions of the fraction of the
 * region above the threshold, integrated over FPR in [0, maxFpr] and normalised by maxFpr).
 */
public final class PixelMetrics {
  public static final double DEFAULT_PRO_MAX_FPR = 0.3;
  private static final int PRO_THRESHOLDS = 1000;

  private final FloatList positives = new FloatList(1 << 20);
  private final FloatList negatives = new FloatList(1 << 22);
  private final List<float[]> regions =
      new ArrayList<>(); // sorted scores of each connected GT region

  /**
   * @param mask true = anomalous pixel, same size as the map
   */
  public void add(float[] map, boolean[] mask) {
    if (map.length != mask.length) {
      throw new IllegalArgumentException("map has " + map.length + " pixels, mask " + mask.length);
    }
    for (int i = 0; i < map.length; i++) {
      if (mask[i]) {
        positives.add(map[i]);
      } else {
        negatives.add(map[i]);
      }
    }
  }

  /** Like {@link #add(float[], boolean[])}, also recording the mask's connected regions for PRO. */
  public void add(float[] map, boolean[] mask, int width, int height) {
    add(map, mask);
    int[] label = ConnectedComponents.label(mask, width, height);
    int count = 0;
    for (int l : label) {
      count = Math.max(count, l);
    }
    if (count == 0) {
      return;
    }
    FloatList[] byRegion = new FloatList[count];
    for (int i = 0; i < label.length; i++) {
      if (label[i] > 0) {
        FloatList r = byRegion[label[i] - 1];
        if (r == null) {
          r = byRegion[label[i] - 1] = new FloatList(64);
        }
        r.add(map[i]);
      }
    }
    for (FloatList r : byRegion) {
      regions.add(r.toSortedArray());
    }
  }

  public BinaryScores scores() {
    return BinaryScores.ofSorted(positives, negatives);
  }

  public int regionCount() {
    return regions.size();
  }

  /** PRO integrated up to {@code maxFpr}, normalised to [0,1]. NaN without regions or negatives. */
  public double pro(double maxFpr) {
    return pro(scores().sortedNegatives(), maxFpr);
  }

  double pro(float[] neg, double maxFpr) {
    if (regions.isEmpty() || neg.length == 0) {
      return Double.NaN;
    }
    // Thresholds at evenly spaced false-positive rates in [0, maxFpr], each also just above its
    // value, so a
    // block of tied normal scores gives both ends of its jump (maps with flat zero backgrounds have
    // huge ties).
    int m = PRO_THRESHOLDS + 2;
    double[][] points = new double[2 * m][];
    int count = 0;
    for (int k = 0; k < m; k++) {
      double target = maxFpr * k / PRO_THRESHOLDS;
      int idx = (int) Math.min(neg.length - 1, Math.max(0, Math.round(neg.length * (1 - target))));
      for (float t : new float[] {neg[idx], Math.nextUp(neg[idx])}) {
        double f = (double) countAbove(neg, t) / neg.length;
        double o = 0;
        for (float[] r : regions) {
          o += (double) countAbove(r, t) / r.length;
        }
        points[count++] = new double[] {f, o / regions.size()};
      }
    }
    java.util.Arrays.sort(
        points,
        0,
        count,
        (a, b) -> a[0] != b[0] ? Double.compare(a[0], b[0]) : Double.compare(a[1], b[1]));
    double area = 0;
    for (int k = 1; k < count; k++) {
      double x0 = points[k - 1][0];
      double x1 = points[k][0];
      if (x0 >= maxFpr) {
        break;
      }
      double y0 = points[k - 1][1];
      double y1 = points[k][1];
      if (x1 > maxFpr) {
        y1 = y0 + (y1 - y0) * (maxFpr - x0) / (x1 - x0);
        x1 = maxFpr;
      }
      area += (x1 - x0) * (y0 + y1) / 2;
    }
    return area / maxFpr;
  }

  /** Count of values >= t in an ascending array. */
  static int countAbove(float[] sorted, float t) {
    int lo = 0;
    int hi = sorted.length;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (sorted[mid] < t) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return sorted.length - lo;
  }

  @Override
  public String toString() {
    return "PixelMetrics["
        + positives.size()
        + " anomalous, "
        + negatives.size()
        + " normal pixels, "
        + regions.size()
        + " regions]";
  }
}
