package io.tailwatch.detector.bank;

/**
 * Squared distance from each point to its nearest centre: the bulk step of the coreset, where a
 * GEMM engine (ONNX Runtime, see {@code OnnxKnnScorer#nearestCentres}) beats scalar Java by an
 * order of magnitude.
 */
@FunctionalInterface
public interface NearestCentres {
  /**
   * Plain Java, with the same distance arithmetic as the greedy loop (tests compare selections
   * exactly).
   */
  NearestCentres JAVA =
      (points, n, d, centres, m) -> {
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
          float best = Float.POSITIVE_INFINITY;
          for (int c = 0; c < m; c++) {
            best = Math.min(best, GreedyCoreset.dist2(points, i * d, centres, c * d, d));
          }
          out[i] = best;
        }
        return out;
      };

  /**
   * @return for each of the {@code n} points (rows of {@code points}) the min squared distance to
   *     the {@code m} centres
   */
  float[] nearest(float[] points, int n, int d, float[] centres, int m);
}
