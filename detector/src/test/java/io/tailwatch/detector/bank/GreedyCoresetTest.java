package io.tailwatch.detector.bank;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tailwatch.detector.util.Progress;
import java.util.Random;
import org.junit.jupiter.api.Test;

class GreedyCoresetTest {

  /**
   * Clusters of very different sizes and spreads, like patch features: the lazy path's hard case.
   */
  static float[] clustered(int n, int d, long seed) {
    Random r = new Random(seed);
    float[][] centres = new float[12][d];
    for (float[] c : centres) {
      for (int j = 0; j < d; j++) {
        c[j] = (float) (r.nextGaussian() * 5);
      }
    }
    float[] x = new float[n * d];
    for (int i = 0; i < n; i++) {
      int c = (int) Math.min(11, Math.abs(r.nextGaussian()) * 4); // long-tailed cluster sizes
      double spread = 0.2 + c * 0.1;
      for (int j = 0; j < d; j++) {
        x[i * d + j] = (float) (centres[c][j] + r.nextGaussian() * spread);
      }
    }
    return x;
  }

  @Test
  void exactGreedyEqualsThePlainLoop() {
    int n = 4000;
    int d = 24;
    float[] x = clustered(n, d, 1);
    int start = 17;
    int[] plain = GreedyCoreset.bruteForce(x, n, d, 400, null, start);
    // one phase (pool = everything), then many phases with a small pool
    GreedyCoreset.Cost onePhase = new GreedyCoreset.Cost();
    assertThat(
            GreedyCoreset.select(
                x, n, d, 400, null, start, Progress.NONE, NearestCentres.JAVA, n, onePhase))
        .containsExactly(plain);
    assertThat(onePhase.distanceComputations).isLessThan((long) n * 400);
    GreedyCoreset.Cost smallPool = new GreedyCoreset.Cost();
    assertThat(
            GreedyCoreset.select(
                x, n, d, 400, null, start, Progress.NONE, NearestCentres.JAVA, 300, smallPool))
        .containsExactly(plain);
    assertThat(smallPool.phases).isGreaterThan(3);
  }

  @Test
  void approximateGreedyEqualsThePlainLoopWithAnchors() {
    int n = 3000;
    int d = 16;
    float[] x = clustered(n, d, 2);
    float[] anchors = new float[n];
    Random r = new Random(5);
    for (int i = 0; i < n; i++) {
      anchors[i] = 20 + (float) r.nextDouble() * 30;
    }
    int[] plain = GreedyCoreset.bruteForce(x, n, d, 300, anchors, -1);
    GreedyCoreset.Cost cost = new GreedyCoreset.Cost();
    assertThat(
            GreedyCoreset.select(
                x, n, d, 300, anchors, -1, Progress.NONE, NearestCentres.JAVA, 250, cost))
        .containsExactly(plain);
    assertThat(cost.phases).isGreaterThan(3);
  }

  @Test
  void eachSelectionIsTheFarthestPointFromThePreviousOnes() {
    int n = 1500;
    int d = 8;
    float[] x = clustered(n, d, 3);
    int[] sel = GreedyCoreset.exact(x, n, d, 100, 9, Progress.NONE, NearestCentres.JAVA);
    for (int t = 1; t < sel.length; t++) {
      double chosen = nearest(x, d, sel, t, sel[t]);
      for (int i = 0; i < n; i++) {
        assertThat(nearest(x, d, sel, t, i))
            .as("point %d at step %d", i, t)
            .isLessThanOrEqualTo(chosen);
      }
    }
  }

  @Test
  void greedyCoversBetterThanRandom() {
    int n = 3000;
    int d = 16;
    float[] x = clustered(n, d, 4);
    int[] greedy = GreedyCoreset.exact(x, n, d, 150, 1, Progress.NONE, NearestCentres.JAVA);
    int[] random = new Random(1).ints(0, n).distinct().limit(150).toArray();
    assertThat(GreedyCoreset.coveringRadius(x, n, d, greedy))
        .isLessThan(0.8 * GreedyCoreset.coveringRadius(x, n, d, random));
  }

  @Test
  void approximateProjectsWideData() {
    int n = 2000;
    float[] x = clustered(n, 64, 6);
    int[] sel =
        GreedyCoreset.approximate(x, n, 64, 200, 16, 42, Progress.NONE, NearestCentres.JAVA);
    assertThat(sel).hasSize(200).doesNotHaveDuplicates();
    assertThat(GreedyCoreset.approximate(x, n, 64, 200, 16, 42, Progress.NONE, NearestCentres.JAVA))
        .containsExactly(sel);
  }

  @Test
  void bestOrdersByValueThenIndex() {
    assertThat(GreedyCoreset.best(new float[] {1, 3, 3, 0, Float.POSITIVE_INFINITY}, 4))
        .containsExactly(4, 1, 2, 0);
  }

  @Test
  void rejectsBadArguments() {
    assertThatThrownBy(() -> GreedyCoreset.count(10, 0)).hasMessageContaining("ratio");
    assertThatThrownBy(
            () ->
                GreedyCoreset.exact(new float[10], 5, 2, 6, 1, Progress.NONE, NearestCentres.JAVA))
        .hasMessageContaining("select 6 of 5");
  }

  private static double nearest(float[] x, int d, int[] sel, int t, int i) {
    double best = Double.MAX_VALUE;
    for (int s = 0; s < t; s++) {
      best = Math.min(best, GreedyCoreset.dist2(x, i * d, x, sel[s] * d, d));
    }
    return best;
  }
}
