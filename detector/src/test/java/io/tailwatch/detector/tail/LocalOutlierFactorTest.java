package io.tailwatch.detector.tail;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.junit.jupiter.api.Test;

class LocalOutlierFactorTest {
  @Test
  void matchesHandComputedValues() {
    // points 0, 1, 2, 10 on a line, k = 2. Neighbours (self excluded, ties by index) and
    // k-distances:
    //   0: {1 (1), 2 (2)} kd 2;  1: {0 (1), 2 (1)} kd 1;  2: {1 (1), 0 (2)} kd 2;  10: {2 (8), 1
    // (9)} kd 9
    // reach-dist means: 0: (1 + 2)/2; 1: (2 + 2)/2; 2: (1 + 2)/2; 10: (8 + 9)/2 -> lrd 2/3, 1/2,
    // 2/3, 2/17
    // LOF: 0: (1/2 + 2/3)/2 / (2/3) = 0.875; 1: (2/3 + 2/3)/2 / (1/2) = 4/3; 2: 0.875;
    //      10: (2/3 + 1/2)/2 / (2/17) = 4.958333
    double[] lof = LocalOutlierFactor.scores(new float[] {0, 1, 2, 10}, 0, 4, 1, 2);
    assertThat(lof[0]).isCloseTo(0.875, within(1e-6));
    assertThat(lof[1]).isCloseTo(4.0 / 3, within(1e-6));
    assertThat(lof[2]).isCloseTo(0.875, within(1e-6));
    assertThat(lof[3]).isCloseTo(7.0 / 12 * 17 / 2, within(1e-5));
  }

  @Test
  void kIsCappedAtNMinusOneAsScikitLearn() {
    // k = 6 over 3 points behaves as k = 2
    double[] capped = LocalOutlierFactor.scores(new float[] {0, 1, 5}, 0, 3, 1, 6);
    double[] two = LocalOutlierFactor.scores(new float[] {0, 1, 5}, 0, 3, 1, 2);
    assertThat(capped).containsExactly(two);
    assertThatThrownBy(() -> LocalOutlierFactor.scores(new float[] {1}, 0, 1, 1, 6))
        .hasMessageContaining("at least 2 points");
  }

  @Test
  void perPositionRunsEachPositionOverTheImages() {
    int images = 30;
    int positions = 5;
    int dim = 7;
    float[] patches = new float[images * positions * dim];
    Random r = new Random(1);
    for (int i = 0; i < patches.length; i++) {
      patches[i] = (float) r.nextGaussian();
    }
    // image 4 at position 2 is far from everything: the one outlier there
    for (int d = 0; d < dim; d++) {
      patches[(4 * positions + 2) * dim + d] += 40;
    }
    float[] lof = LocalOutlierFactor.perPosition(patches, images, positions, dim, 6);
    for (int p = 0; p < positions; p++) {
      float[] column = new float[images * dim];
      for (int i = 0; i < images; i++) {
        System.arraycopy(patches, (i * positions + p) * dim, column, i * dim, dim);
      }
      double[] expected = LocalOutlierFactor.scores(column, 0, images, dim, 6);
      for (int i = 0; i < images; i++) {
        assertThat((double) lof[i * positions + p]).isCloseTo(expected[i], within(1e-5));
      }
    }
    assertThat(lof[4 * positions + 2]).isGreaterThan(5f);
    assertThat(lof[4 * positions + 1]).isLessThan(2f);
  }
}
