package io.tailwatch.detector.hyperspectral;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class LossAmplificationTest {
  @Test
  void valuesByHand() {
    assertThat(new LossAmplification(LossAmplification.Mode.SCALE, 3).apply(0.5)).isEqualTo(1.5);
    assertThat(LossAmplification.of(LossAmplification.Mode.POWER).apply(0.25))
        .isCloseTo(0.5, within(1e-7));
    assertThat(new LossAmplification(LossAmplification.Mode.EXP, 2).apply(0.5))
        .isCloseTo(Math.E - 1, within(1e-12));
    assertThat(new LossAmplification(LossAmplification.Mode.LOG_BARRIER, 2).apply(1))
        .isCloseTo(Math.log(2), within(1e-12));
    assertThat(LossAmplification.NONE.apply(0.3)).isEqualTo(0.3);
  }

  @ParameterizedTest
  @EnumSource(LossAmplification.Mode.class)
  void derivativeMatchesFiniteDifferences(LossAmplification.Mode mode) {
    LossAmplification a =
        mode == LossAmplification.Mode.LOG_BARRIER
            ? new LossAmplification(mode, 3)
            : LossAmplification.of(mode);
    for (double l : new double[] {0.01, 0.1, 0.5, 1.2, 2.5}) {
      double h = 1e-6;
      double numeric = (a.apply(l + h) - a.apply(l - h)) / (2 * h);
      assertThat(a.derivative(l))
          .as("%s at %s", mode, l)
          .isCloseTo(numeric, within(1e-5 * Math.max(1, Math.abs(numeric))));
    }
  }

  @Test
  void amplificationShapes() {
    // power < 1 and log-barrier raise small losses' share of the gradient or large ones', as LAMP
    // intends
    LossAmplification power = LossAmplification.of(LossAmplification.Mode.POWER);
    assertThat(power.derivative(0.01)).isGreaterThan(power.derivative(1));
    LossAmplification barrier = new LossAmplification(LossAmplification.Mode.LOG_BARRIER, 1);
    assertThat(barrier.derivative(0.9)).isGreaterThan(barrier.derivative(0.1));
    assertThat(barrier.apply(5)).isFinite(); // past the cap: held, not NaN
    assertThat(barrier.derivative(5)).isZero();
  }

  @Test
  void badSettingsAreRefused() {
    assertThatThrownBy(() -> LossAmplification.Mode.parse("cube"))
        .hasMessageContaining("log-barrier");
    assertThat(LossAmplification.Mode.parse("log-barrier"))
        .isEqualTo(LossAmplification.Mode.LOG_BARRIER);
    assertThatThrownBy(() -> new LossAmplification(LossAmplification.Mode.POWER, 2))
        .hasMessageContaining("gamma");
    assertThatThrownBy(() -> new LossAmplification(LossAmplification.Mode.EXP, 0))
        .hasMessageContaining("positive");
  }
}
