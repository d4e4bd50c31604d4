package io.tailwatch.detector.scoring;

/**
 * The detector's output for one image.
 *
 * @param score image score: max patch score (squared L2 to the nearest bank vector), reweighted if
 *     enabled
 * @param patchScores per patch position, row-major over the grid
 * @param map smoothed anomaly map, {@code mapSize x mapSize}, in the network input geometry
 * @param features the batch's patch vectors (shared by the batch's detections, not copied), or null
 * @param featureOffset where this image's first patch vector starts in {@code features}
 * @param dim patch vector dimension
 */
public record Detection(
    double score,
    float[] patchScores,
    int gridHeight,
    int gridWidth,
    float[] map,
    int mapSize,
    float[] features,
    int featureOffset,
    int dim) {
  public Detection(
      double score, float[] patchScores, int gridHeight, int gridWidth, float[] map, int mapSize) {
    this(score, patchScores, gridHeight, gridWidth, map, mapSize, null, 0, 0);
  }

  /**
   * The {@code k} patch vectors with the highest patch scores (k x dim, highest first) and their
   * squared distances; candidates for a bank update. Requires {@link #features}.
   */
  public TopPatches topPatches(int k) {
    if (features == null) {
      throw new IllegalStateException("this detection carries no patch features");
    }
    int positions = patchScores.length;
    int m = Math.min(k, positions);
    Integer[] order = new Integer[positions];
    for (int i = 0; i < positions; i++) {
      order[i] = i;
    }
    java.util.Arrays.sort(order, (a, b) -> Float.compare(patchScores[b], patchScores[a]));
    float[] vectors = new float[m * dim];
    float[] distances = new float[m];
    for (int j = 0; j < m; j++) {
      System.arraycopy(features, featureOffset + order[j] * dim, vectors, j * dim, dim);
      distances[j] = patchScores[order[j]];
    }
    return new TopPatches(m, dim, vectors, distances);
  }

  /** Copied patch vectors and their squared nearest-neighbour distances. */
  public record TopPatches(int count, int dim, float[] vectors, float[] distances2) {}

  /**
   * The map level that corresponds to an image-score threshold. The smoothed map peaks below the
   * image score (the max of the raw patch scores), so the map is rescaled to peak at the score:
   * level = threshold x peak / score. An image above the threshold therefore always has map pixels
   * above this level.
   */
  public double mapLevel(double threshold) {
    return mapLevel(map, score, threshold);
  }

  /** {@link #mapLevel(double)} of a map and image score kept apart from their detection. */
  public static double mapLevel(float[] map, double score, double threshold) {
    float peak = Float.NEGATIVE_INFINITY;
    for (float v : map) {
      peak = Math.max(peak, v);
    }
    return score > 0 && peak > 0 ? threshold * peak / score : threshold;
  }
}
