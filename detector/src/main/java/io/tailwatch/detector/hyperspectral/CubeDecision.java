package io.tailwatch.detector.hyperspectral;

import io.tailwatch.detector.scoring.RegionBox;
import io.tailwatch.detector.scoring.Regions;
import java.util.Arrays;
import java.util.List;

/**
 * The verdict on one cube from its per-pixel scores. Anomalous pixels are rare within a cube, so
 * the cube's own robust statistics describe its background: a pixel is anomalous above median + k *
 * 1.4826 MAD of the cube's scores (k = {@code sigmas}); the cube is anomalous when at least {@code
 * minPixels} pixels are. The cube's score is its highest pixel score; the calibrated score is the
 * upper tail probability of that maximum's robust z under a standard normal (small = unusual).
 */
public record CubeDecision(
    double score,
    double threshold,
    double calibrated,
    int anomalousPixels,
    List<RegionBox> regions,
    boolean anomalous) {

  public static CubeDecision of(float[] map, int samples, int lines, double sigmas, int minPixels) {
    if (map.length != samples * lines) {
      throw new IllegalArgumentException(
          "map of " + map.length + " pixels for " + lines + "x" + samples);
    }
    float[] sorted = map.clone();
    Arrays.sort(sorted);
    double median = median(sorted);
    float[] dev = new float[sorted.length];
    for (int i = 0; i < dev.length; i++) {
      dev[i] = Math.abs(sorted[i] - (float) median);
    }
    Arrays.sort(dev);
    double scale = 1.4826 * median(dev);
    if (!(scale > 0)) {
      scale =
          Math.max(
              1e-12,
              Math.abs(median) * 1e-6); // a flat map: any pixel off the common value stands out
    }
    double threshold = median + sigmas * scale;
    double max = sorted[sorted.length - 1];
    int count = 0;
    for (float v : map) {
      count += v > threshold ? 1 : 0;
    }
    List<RegionBox> regions = count == 0 ? List.of() : Regions.find(map, samples, lines, threshold);
    double z = (max - median) / scale;
    return new CubeDecision(max, threshold, upperTail(z), count, regions, count >= minPixels);
  }

  private static double median(float[] sorted) {
    int n = sorted.length;
    return n % 2 == 1 ? sorted[n / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
  }

  /** P(Z > z) for a standard normal (Abramowitz-Stegun 7.1.26 on erfc; error below 1.5e-7). */
  static double upperTail(double z) {
    double x = Math.abs(z) / Math.sqrt(2);
    double t = 1 / (1 + 0.3275911 * x);
    double erfc =
        t
            * (0.254829592
                + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
            * Math.exp(-x * x);
    double tail = 0.5 * erfc;
    return z >= 0 ? tail : 1 - tail;
  }
}
