package io.tailwatch.detector.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

import java.util.Random;
import org.junit.jupiter.api.Test;

class BinaryScoresTest {
  @Test
  void aurocByHand() {
    // pairs: 0.9>0.1, 0.9>0.85, 0.8>0.1, 0.8<0.85 -> 3/4
    assertThat(BinaryScores.of(new float[] {0.9f, 0.8f}, new float[] {0.1f, 0.85f}).auroc())
        .isEqualTo(0.75);
    assertThat(BinaryScores.of(new float[] {0.5f}, new float[] {0.5f}).auroc()).isEqualTo(0.5);
    assertThat(BinaryScores.of(new float[] {2, 3}, new float[] {0, 1}).auroc()).isEqualTo(1.0);
    assertThat(BinaryScores.of(new float[] {0}, new float[] {1}).auroc()).isEqualTo(0.0);
    // ties across and within classes: pos {1,1,2}, neg {1,0}: (1 vs 1: .5, 1 vs 0: 1) x2 + (2: 1+1)
    // = 5/6
    assertThat(BinaryScores.of(new float[] {1, 1, 2}, new float[] {1, 0}).auroc())
        .isCloseTo(5.0 / 6, offset(1e-12));
    assertThat(BinaryScores.of(new float[0], new float[] {1}).auroc()).isNaN();
  }

  @Test
  void averagePrecisionMatchesSklearnExample() {
    // sklearn docs: y=[0,0,1,1], s=[0.1,0.4,0.35,0.8] -> AP 0.8333, AUROC 0.75
    BinaryScores s =
        BinaryScores.of(
            new double[] {0.1, 0.4, 0.35, 0.8}, new boolean[] {false, false, true, true});
    assertThat(s.averagePrecision()).isCloseTo(0.8333333, offset(1e-6));
    assertThat(s.auroc()).isEqualTo(0.75);
  }

  @Test
  void aurocEqualsPairCountOnRandomData() {
    Random r = new Random(2);
    float[] pos = new float[300];
    float[] neg = new float[500];
    for (int i = 0; i < pos.length; i++) {
      pos[i] = Math.round(r.nextGaussian() * 4 + 2) / 4f; // coarse values: many ties
    }
    for (int i = 0; i < neg.length; i++) {
      neg[i] = Math.round(r.nextGaussian() * 4) / 4f;
    }
    double pairs = 0;
    for (float p : pos) {
      for (float n : neg) {
        pairs += p > n ? 1 : p == n ? 0.5 : 0;
      }
    }
    assertThat(BinaryScores.of(pos, neg).auroc())
        .isCloseTo(pairs / (pos.length * neg.length), offset(1e-12));
  }

  @Test
  void f1MaxByHand() {
    // y=[0,0,1,1], s=[0.1,0.4,0.35,0.8]; thresholds high to low: 0.8 -> F1 2/3, 0.4 -> 1/2,
    // 0.35 -> 2TP/(2TP+FP+FN) = 4/5, 0.1 -> 2/3
    BinaryScores s =
        BinaryScores.of(
            new double[] {0.1, 0.4, 0.35, 0.8}, new boolean[] {false, false, true, true});
    assertThat(s.f1Max()).isCloseTo(0.8, offset(1e-12));
    assertThat(BinaryScores.of(new float[] {2, 3}, new float[] {0, 1}).f1Max()).isEqualTo(1.0);
    assertThat(BinaryScores.of(new float[0], new float[] {1}).f1Max()).isNaN();
  }

  @Test
  void countsAboveAThresholdAreStrict() {
    // the job alerts on score > threshold: a score equal to it is not an alert
    BinaryScores s = BinaryScores.of(new float[] {0.5f, 1.0f}, new float[] {0.25f, 0.75f});
    assertThat(s.positivesAbove(0.5)).isEqualTo(1);
    assertThat(s.negativesAbove(0.5)).isEqualTo(1);
    assertThat(s.positivesAbove(0.25)).isEqualTo(2);
    assertThat(s.negativesAbove(0.25)).isEqualTo(1);
    assertThat(s.negativesAbove(0.0)).isEqualTo(2);
    assertThat(s.positivesAbove(1.0)).isZero();
  }

  @Test
  void rocCurveStepsThroughEveryDistinctScore() {
    BinaryScores s = BinaryScores.of(new float[] {0.5f, 1.0f}, new float[] {0.25f, 0.75f});
    assertThat(s.rocCurve())
        .isDeepEqualTo(
            new double[][] {
              {0, 0}, {0, 0.5}, {0.5, 0.5}, {0.5, 1}, {1, 1},
            });
  }
}
