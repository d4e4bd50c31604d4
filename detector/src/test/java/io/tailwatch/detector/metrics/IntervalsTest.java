package io.tailwatch.detector.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

import org.junit.jupiter.api.Test;

class IntervalsTest {
  @Test
  void wilsonIntervalByHand() {
    // k = 0: [0, z^2 / (n + z^2)] = 3.8415 / 23.8415 at n = 20
    Intervals.Interval none = Intervals.proportion(0, 20);
    assertThat(none.estimate()).isZero();
    assertThat(none.low()).isZero();
    assertThat(none.high()).isCloseTo(0.16113, offset(1e-4));
    // 3/20: the textbook Wilson interval [0.0524, 0.3604]
    Intervals.Interval three = Intervals.proportion(3, 20);
    assertThat(three.low()).isCloseTo(0.0524, offset(1e-4));
    assertThat(three.high()).isCloseTo(0.3604, offset(1e-4));
    assertThat(Intervals.proportion(0, 0).estimate()).isNaN();
  }

  @Test
  void hanleyMcNeilByHand() {
    // A = 0.9, 10 + 10: Q1 = 0.81818, Q2 = 0.85263; SE^2 = (0.09 + 9 x 0.00818 + 9 x 0.04263) / 100
    // = 0.0054732, SE 0.07398, 0.9 -/+ 1.96 SE = [0.755, 1.045] clipped to 1
    Intervals.Interval i = Intervals.auroc(0.9, 10, 10);
    assertThat(i.low()).isCloseTo(0.9 - 1.959964 * 0.073981, offset(1e-4));
    assertThat(i.high()).isEqualTo(1.0);
    // more images, a narrower interval
    assertThat(Intervals.auroc(0.9, 100, 100).halfWidth()).isLessThan(i.halfWidth() / 2);
    assertThat(Intervals.auroc(Double.NaN, 10, 10).low()).isNaN();
    assertThat(Intervals.auroc(0.9, 0, 10).low()).isNaN();
  }

  @Test
  void meanOverClassesUsesStudentsT() {
    // mean 0.9, sd 0.1, t(2) = 4.3027: half-width 4.3027 x 0.1 / sqrt(3) = 0.24842
    Intervals.Interval m = Intervals.mean(new double[] {0.8, 0.9, 1.0, Double.NaN});
    assertThat(m.estimate()).isCloseTo(0.9, offset(1e-12));
    assertThat(m.halfWidth()).isCloseTo(0.24842, offset(1e-4));
    assertThat(Intervals.mean(new double[] {0.7}).low()).isNaN();
    assertThat(Intervals.mean(new double[] {Double.NaN}).estimate()).isNaN();
  }
}
