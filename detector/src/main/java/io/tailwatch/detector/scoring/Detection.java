package io.tailwatch.detector.scoring;

/**
 * The detector's output for one image.
 *
 * @param score image score: max patch score (squared L2 to the nearest bank vector), reweighted if enabled
 * @param patchScores per patch position, row-major over the grid
 * @param map smoothed anomaly map, {@code mapSize x mapSize}, in the network input geometry
 */
public record Detection(double score, float[] patchScores, int gridHeight, int gridWidth, float[] map,
    int mapSize) {
  /**
   * The map level that corresponds to an image-score threshold. The smoothed map peaks below the image score (the
   * max of the raw patch scores), so the map is rescaled to peak at the score: level = threshold x peak / score.
   * An image above the threshold therefore always has map pixels above this level.
   */
  public double mapLevel(double threshold) {
    float peak = Float.NEGATIVE_INFINITY;
    for (float v : map) {
      peak = Math.max(peak, v);
    }
    return score > 0 && peak > 0 ? threshold * peak / score : threshold;
  }
}
