package io.tailwatch.detector.scoring;

import io.tailwatch.detector.util.ConnectedComponents;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** Connected components (8-connectivity) of an anomaly map above a threshold. */
public final class Regions {
  private Regions() {}

  /** Components of {@code map > threshold}, highest peak first. */
  public static List<RegionBox> find(float[] map, int w, int h, double threshold) {
    boolean[] above = new boolean[w * h];
    for (int i = 0; i < above.length; i++) {
      above[i] = map[i] > threshold;
    }
    int[] label = ConnectedComponents.label(above, w, h);
    int k = 0;
    for (int l : label) {
      k = Math.max(k, l);
    }
    int[] minX = new int[k];
    int[] minY = new int[k];
    int[] maxX = new int[k];
    int[] maxY = new int[k];
    int[] area = new int[k];
    float[] peak = new float[k];
    java.util.Arrays.fill(minX, Integer.MAX_VALUE);
    java.util.Arrays.fill(minY, Integer.MAX_VALUE);
    java.util.Arrays.fill(peak, Float.NEGATIVE_INFINITY);
    for (int p = 0; p < label.length; p++) {
      int l = label[p] - 1;
      if (l < 0) {
        continue;
      }
      int x = p % w;
      int y = p / w;
      minX[l] = Math.min(minX[l], x);
      maxX[l] = Math.max(maxX[l], x);
      minY[l] = Math.min(minY[l], y);
      maxY[l] = Math.max(maxY[l], y);
      area[l]++;
      peak[l] = Math.max(peak[l], map[p]);
    }
    List<RegionBox> out = new ArrayList<>(k);
    for (int l = 0; l < k; l++) {
      out.add(
          new RegionBox(
              minX[l], minY[l], maxX[l] - minX[l] + 1, maxY[l] - minY[l] + 1, area[l], peak[l]));
    }
    out.sort(Comparator.comparingDouble(RegionBox::maxScore).reversed());
    return out;
  }

  /**
   * Scales boxes from map pixels to frame pixels (the map covers the whole frame when there is no
   * crop).
   */
  /**
   * The {@code max} regions with the highest peak scores, strongest first (all of them, so sorted,
   * when there are no more): a map of salt noise can have thousands of components, and an alert
   * carrying them all would outgrow a Kafka record.
   */
  public static List<RegionBox> strongest(List<RegionBox> regions, int max) {
    return regions.stream()
        .sorted(java.util.Comparator.comparingDouble(RegionBox::maxScore).reversed())
        .limit(max)
        .toList();
  }

  public static RegionBox scale(RegionBox r, double sx, double sy) {
    int x0 = (int) Math.floor(r.x() * sx);
    int y0 = (int) Math.floor(r.y() * sy);
    int x1 = (int) Math.ceil((r.x() + r.width()) * sx);
    int y1 = (int) Math.ceil((r.y() + r.height()) * sy);
    return new RegionBox(
        x0, y0, x1 - x0, y1 - y0, (int) Math.round(r.area() * sx * sy), r.maxScore());
  }
}
