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
  void tooFewScoresPutTheThresholdAtTheGaussianQuantile() {
    // mean 3, sample std 1 (values 2, 3, 4)
    ScoreCalibration c = ScoreCalibration.fit(new double[] {2, 3, 4}, 0.01);
    assertThat(c.mean()).isEqualTo(3.0);
    assertThat(c.std()).isCloseTo(1.0, within(1e-12));
    assertThat(c.threshold()).isCloseTo(3 + 2.326348, within(1e-5));
    assertThat(c.calibrated(c.threshold())).isCloseTo(0.99, within(1e-6));
    assertThat(c.calibrated(3)).isCloseTo(0.5, within(1e-7));
    assertThat(c.empirical()).isFalse();
    assertThat(ScoreCalibration.fromMap(c.toMap())).isEqualTo(c);
    assertThat(ScoreCalibration.fromMap(null)).isNull();
  }

  /**
   * With enough scores the threshold is the conformal order statistic: on 2,000 right-skewed
   * (log-normal) calibration scores it holds the asked 1% on 200,000 fresh ones, where the Gaussian
   * mu + z sigma does not.
   */
  @Test
  void enoughScoresGiveTheConformalQuantileWhichHoldsTheRateOnSkewedScores() {
    java.util.SplittableRandom rnd = new java.util.SplittableRandom(11);
    double[] calibration = new double[2000];
    for (int i = 0; i < calibration.length; i++) {
      calibration[i] = Math.exp(0.6 * gaussian(rnd));
    }
    ScoreCalibration c = ScoreCalibration.fit(calibration, 0.01);
    assertThat(c.empirical()).isTrue();
    double[] sorted = calibration.clone();
    java.util.Arrays.sort(sorted);
    assertThat(ScoreCalibration.conformalRank(2000, 0.01)).isEqualTo(1981);
    assertThat(c.threshold()).isEqualTo(sorted[1980]);
    double gaussian = c.mean() + ScoreCalibration.inverseNormalCdf(0.99) * c.std();
    int overConformal = 0;
    int overGaussian = 0;
    int fresh = 200_000;
    for (int i = 0; i < fresh; i++) {
      double s = Math.exp(0.6 * gaussian(rnd));
      overConformal += s > c.threshold() ? 1 : 0;
      overGaussian += s > gaussian ? 1 : 0;
    }
    assertThat(overConformal / (double) fresh).isBetween(0.007, 0.013);
    assertThat(overGaussian / (double) fresh)
        .as("the Gaussian fit on skewed scores")
        .isGreaterThan(0.015);
    assertThat(ScoreCalibration.fromMap(c.toMap())).isEqualTo(c);
    // 99 scores are the least that give an order statistic at 1% (rank 99 of 99)
    assertThat(ScoreCalibration.conformalRank(99, 0.01)).isEqualTo(99);
    assertThat(ScoreCalibration.conformalRank(98, 0.01)).isEqualTo(99);
    assertThat(ScoreCalibration.minimumForEmpirical(0.01)).isEqualTo(99);
    assertThat(ScoreCalibration.minimumForEmpirical(0.05)).isEqualTo(19);
    assertThat(ScoreCalibration.fit(java.util.Arrays.copyOf(calibration, 98), 0.01).empirical())
        .isFalse();
  }

  private static double gaussian(java.util.SplittableRandom rnd) {
    return Math.sqrt(-2 * Math.log(1 - rnd.nextDouble()))
        * Math.cos(2 * Math.PI * rnd.nextDouble());
  }

  @Test
  void refusesTooFewScoresAndBadRates() {
    assertThatThrownBy(() -> ScoreCalibration.fit(new double[] {1}, 0.01))
        .hasMessageContaining("at least 2");
    assertThatThrownBy(() -> ScoreCalibration.fit(new double[] {1, 2}, 0.7))
        .hasMessageContaining("falseAlarmRate");
  }
}
