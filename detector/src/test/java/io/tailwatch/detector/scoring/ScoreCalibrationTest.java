package io.tailwatch.detector.scoring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class ScoreCalibrationTest {
  @Test
  void normalCdfAndItsInverseMatchTables() {
    assertThat(ScoreCalibration.normalCdf(0)).isCloseTo(0.5, within(1e-7));
    assertThat(ScoreCalibration.normalCdf(1.959964)).isCloseTo(0.975, within(1e-6));
    assertThat(ScoreCalibration.normalCdf(-2.326348)).isCloseTo(0.01, within(1e-6));
    assertThat(ScoreCalibration.inverseNormalCdf(0.99)).isCloseTo(2.326348, within(1e-5));
    assertThat(ScoreCalibration.inverseNormalCdf(0.001)).isCloseTo(-3.090232, within(1e-5));
    for (double p = 0.001; p < 1; p += 0.0371) {
      assertThat(ScoreCalibration.normalCdf(ScoreCalibration.inverseNormalCdf(p)))
          .isCloseTo(p, within(1e-6));
    }
  }

  @Test
  void fitPutsTheThresholdAtTheGaussianQuantile() {
    // mean 3, sample std 1 (values 2, 3, 4)
    ScoreCalibration c = ScoreCalibration.fit(new double[] {2, 3, 4}, 0.01);
    assertThat(c.mean()).isEqualTo(3.0);
    assertThat(c.std()).isCloseTo(1.0, within(1e-12));
    assertThat(c.threshold()).isCloseTo(3 + 2.326348, within(1e-5));
    assertThat(c.calibrated(c.threshold())).isCloseTo(0.99, within(1e-6));
    assertThat(c.calibrated(3)).isCloseTo(0.5, within(1e-7));
    assertThat(ScoreCalibration.fromMap(c.toMap())).isEqualTo(c);
    assertThat(ScoreCalibration.fromMap(null)).isNull();
  }

  @Test
  void refusesTooFewScoresAndBadRates() {
    assertThatThrownBy(() -> ScoreCalibration.fit(new double[] {1}, 0.01))
        .hasMessageContaining("at least 2");
    assertThatThrownBy(() -> ScoreCalibration.fit(new double[] {1, 2}, 0.7))
        .hasMessageContaining("falseAlarmRate");
  }
}
