package io.tailwatch.detector.tail;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * Each TailSampler step on similarity matrices whose answer is worked out by hand in the comments.
 */
class TailSamplerTest {
  /** Blocks of images: similarity 0.9 inside a block, 0.1 across, 1 on the diagonal. */
  static double[] blocks(int... sizes) {
    int n = Arrays.stream(sizes).sum();
    int[] label = new int[n];
    int at = 0;
    for (int b = 0; b < sizes.length; b++) {
      for (int i = 0; i < sizes[b]; i++) {
        label[at++] = b;
      }
    }
    double[] s = new double[n * n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        s[i * n + j] = i == j ? 1.0 : label[i] == label[j] ? 0.9 : 0.1;
      }
    }
    return s;
  }

  @Test
  void twoBalancedClasses() {
    // row: quantised min 0.1 -> h = cos(acos(0.1)/2) = 0.742; H = {0.9 x4, 1.0}, L = 5, floor(4.25)
    // = 4 -> t = H[1]
    // = 0.9; every row counts 5; sizes 5; partition [5, 5]; elbow (all equal) 5; T = floor(1.5) = 1
    // fits no
    // group -> K15 = n[1] = 5; maxK = 5: with no size difference every image counts as tail
    double[] s = blocks(5, 5);
    double[] t = TailSampler.rowThresholds(s, 10);
    assertThat(t).containsOnly(0.9);
    TailSampler.Result r = TailSampler.fromSimilarities(s, 10);
    assertThat(r.classSizes()).containsOnly(5);
    assertThat(r.groups()).containsExactly(5, 5);
    assertThat(r.kElbow()).isEqualTo(5);
    assertThat(r.k15()).isEqualTo(5);
    assertThat(r.tail()).hasSize(10);
  }

  @Test
  void oneHeadAndThreeSingletons() {
    // head rows: H = {0.9 x11, 1.0}, L = 12, floor(10.2) = 10 -> t = H[2] = 0.9, count 12;
    // singleton rows: H = {1.0}, L = 1, floor(0.85) = 0 -> t = H[0] = 1.0, count 1.
    // sizes: head 12 (mode of twelve 12s), singletons 1; partition [12, 1, 1, 1];
    // elbow: line (0,12)-(3,1), distances 0, 1.93, 0.96, 0 -> K_elbow = n[1] = 1;
    // T = floor(0.15 * 15) = 2: the two smallest groups fit -> K15 = n[min(4 - 2, 3)] = n[2] = 1;
    // tail = singletons
    double[] s = blocks(12, 1, 1, 1);
    double[] t = TailSampler.rowThresholds(s, 15);
    assertThat(t[0]).isEqualTo(0.9);
    assertThat(t[12]).isEqualTo(1.0);
    TailSampler.Result r = TailSampler.fromSimilarities(s, 15);
    assertThat(Arrays.copyOf(r.classSizes(), 12)).containsOnly(12);
    assertThat(Arrays.copyOfRange(r.classSizes(), 12, 15)).containsOnly(1);
    assertThat(r.groups()).containsExactly(12, 1, 1, 1);
    assertThat(r.kElbow()).isEqualTo(1);
    assertThat(r.k15()).isEqualTo(1);
    assertThat(r.maxK()).isEqualTo(1);
    assertThat(r.tail()).containsExactly(12, 13, 14);
  }

  @Test
  void allEqual() {
    // every similarity 1: m = 1, h = 1, H = all six, t = 1, counts 6, sizes 6, one group of 6;
    // elbow (G = 1) 6;
    // T = floor(0.9) = 0 -> k = 0 -> K15 = n[min(1, 0)] = 6: all tail
    double[] s = new double[36];
    Arrays.fill(s, 1.0);
    TailSampler.Result r = TailSampler.fromSimilarities(s, 6);
    assertThat(r.classSizes()).containsOnly(6);
    assertThat(r.groups()).containsExactly(6);
    assertThat(r.maxK()).isEqualTo(6);
    assertThat(r.tail()).hasSize(6);
  }

  @Test
  void partitionFollowsTheMeanOfTheSmallestSizes() {
    // sorted [1, 3, 3, 3, 4, 4, 4, 4]: k = 1 -> group 1; k = 3 -> round(mean(3,3,3)) = 3 -> group
    // 3;
    // rest [4, 4, 4, 4]: k = 4 -> group 4
    assertThat(TailSampler.partition(new int[] {4, 3, 4, 1, 3, 4, 3, 4})).containsExactly(4, 3, 1);
    // rest shorter than its smallest size joins the last group: [2, 2, 5, 5] -> group 2, then [5,
    // 5] (2 < 5)
    // joins it -> one group of 4
    assertThat(TailSampler.partition(new int[] {5, 2, 5, 2})).containsExactly(4);
    // nothing emitted yet: the whole rest is one group
    assertThat(TailSampler.partition(new int[] {9, 9, 9})).containsExactly(3);
    // round half to even, as Python: sorted [2, 3, 3, 3, 3]: k = 2 -> mean(2, 3) = 2.5 -> 2
    assertThat(TailSampler.partition(new int[] {3, 3, 2, 3, 3})).containsExactly(3, 2);
  }

  @Test
  void elbowAndFifteenPercent() {
    // a long tail: 50, 40, 5, 3, 2 -> line (0,50)-(4,2); the knee is at index 2 (size 5)
    assertThat(TailSampler.elbow(new int[] {50, 40, 5, 3, 2})).isEqualTo(5);
    // total 100, T = 15: 2 + 3 + 5 = 10 fits, + 40 does not -> k = 3 -> n[min(5 - 3, 4)] = n[2] = 5
    assertThat(TailSampler.fifteenPercent(new int[] {50, 40, 5, 3, 2})).isEqualTo(5);
    assertThat(TailSampler.elbow(new int[] {7})).isEqualTo(7);
  }

  @Test
  void runsOnEmbeddings() {
    // 20 images around direction A, 2 around an orthogonal B: cosine similarities 0.99.. within, ~0
    // across
    int n = 22;
    int dim = 8;
    float[] x = new float[n * dim];
    java.util.Random r = new java.util.Random(3);
    for (int i = 0; i < n; i++) {
      x[i * dim + (i < 20 ? 0 : 1)] = 1f;
      for (int d = 0; d < dim; d++) {
        x[i * dim + d] += (float) (0.05 * r.nextGaussian());
      }
    }
    double[] s = TailSampler.cosineSimilarities(x, n, dim);
    assertThat(s[0]).isCloseTo(1.0, within(1e-9));
    assertThat(s[1]).isGreaterThan(0.95);
    assertThat(s[20]).isLessThan(0.2);
    TailSampler.Result result = TailSampler.run(x, n, dim);
    assertThat(result.tail()).contains(20, 21);
    assertThat(result.classSizes()[20]).isLessThan(result.classSizes()[0]);
  }
}
