package io.tailwatch.detector.online;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.tailwatch.detector.stats.ScoreTarget;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.apache.commons.math3.stat.descriptive.rank.Percentile;
import org.junit.jupiter.api.Test;

class OnlineScoreStatisticsTest {
  private static OnlineScoreStatistics.Config config(double halfLife, long minFrames) {
    return new OnlineScoreStatistics.Config(512, halfLife, 0.01, minFrames, 0.1, 10, 8, 16);
  }

  /** Every score enters (no outlier guard). */
  private static OnlineScoreStatistics.Config unguarded(double halfLife, long minFrames) {
    return new OnlineScoreStatistics.Config(512, halfLife, 0.01, minFrames, 0.1, 10, 1e6, 16);
  }

  /** An independent oracle: commons-math3's R-7 percentile of the exact values. */
  private static double exactQuantile(double[] values, double p) {
    return new Percentile()
        .withEstimationType(Percentile.EstimationType.R_7)
        .evaluate(values, 100 * p);
  }

  @Test
  void quantilesMatchExactValuesWithinABin() {
    OnlineScoreStatistics stats =
        new OnlineScoreStatistics(unguarded(1e12, 100)); // no decay to speak of
    SplittableRandom rnd = new SplittableRandom(1);
    double[] x = new double[20_000];
    for (int i = 0; i < x.length; i++) {
      x[i] = Math.exp(1 + 0.4 * gaussian(rnd)); // right-skewed, like image scores
      stats.add(x[i], false);
    }
    stats.refresh();
    double[] sorted = x.clone();
    Arrays.sort(sorted);
    double bin = binWidth(stats, sorted);
    for (double p : new double[] {0.1, 0.5, 0.9, 0.99}) {
      assertThat(stats.quantileOfHistogram(p))
          .as("q%.2f", p)
          .isCloseTo(exactQuantile(sorted, p), within(2 * bin));
    }
    assertThat(stats.median()).isCloseTo(exactQuantile(sorted, 0.5), within(2 * bin));
    double[] dev =
        Arrays.stream(x).map(v -> Math.abs(v - exactQuantile(sorted, 0.5))).sorted().toArray();
    assertThat(stats.mad()).isCloseTo(exactQuantile(dev, 0.5), within(3 * bin));
    // moments are exact (no binning)
    double mean = Arrays.stream(x).average().orElseThrow();
    double sd = Math.sqrt(Arrays.stream(x).map(v -> (v - mean) * (v - mean)).sum() / x.length);
    double skew = Arrays.stream(x).map(v -> Math.pow((v - mean) / sd, 3)).sum() / x.length;
    assertThat(stats.mean()).isCloseTo(mean, within(1e-6 * mean));
    assertThat(stats.skewness()).isCloseTo(skew, within(1e-3));
    assertThat(stats.skewness()).isGreaterThan(0.8);
    // threshold: the (1 - alpha) quantile once warmed up
    assertThat(stats.threshold(123.0)).isCloseTo(exactQuantile(sorted, 0.99), within(2 * bin));
  }

  private static double binWidth(OnlineScoreStatistics stats, double[] sorted) {
    // the range is a power-of-two multiple of 4x the first score and covers the maximum
    return Math.max(sorted[sorted.length - 1] / 512 * 2, 1e-9);
  }

  @Test
  void oldScoresDecayWithTheHalfLife() {
    double halfLife = 200;
    OnlineScoreStatistics stats = new OnlineScoreStatistics(unguarded(halfLife, 10));
    SplittableRandom rnd = new SplittableRandom(2);
    for (int i = 0; i < 5000; i++) {
      stats.add(10 + gaussian(rnd), false);
    }
    assertThat(stats.median()).isCloseTo(10, within(0.15));
    for (int i = 0; i < 200; i++) { // one half-life of a shifted regime: half the mass is new
      stats.add(20 + gaussian(rnd), false);
    }
    stats.refresh();
    assertThat(stats.cdf(15)).isCloseTo(0.5, within(0.01));
    for (int i = 0; i < 4800; i++) {
      stats.add(20 + gaussian(rnd), false);
    }
    stats.refresh();
    assertThat(stats.median()).isCloseTo(20, within(0.15));
    assertThat(stats.cdf(15)).isLessThan(1e-6);
    double lambda = Math.pow(2, -1 / halfLife);
    assertThat(stats.effectiveCount()).isCloseTo((1 + lambda) / (1 - lambda), within(1.0));
    assertThat(stats.count()).isEqualTo(10_000);
  }

  /**
   * A sharp majority mode (70%), a shoulder of rarer normal patterns (29.5%) and a few extreme
   * scores (0.5%), each added to every one of {@code stats}, which are then refreshed; seed 3.
   */
  private static double[] shoulderMixture(OnlineScoreStatistics... stats) {
    SplittableRandom rnd = new SplittableRandom(3);
    double[] x = new double[20_000];
    for (int i = 0; i < x.length; i++) {
      double u = rnd.nextDouble();
      x[i] =
          u < 0.70
              ? 10 + 0.3 * gaussian(rnd)
              : u < 0.995 ? 10.8 + 0.6 * gaussian(rnd) : 18 + gaussian(rnd);
      for (OnlineScoreStatistics st : stats) {
        st.add(x[i], false);
      }
    }
    for (OnlineScoreStatistics st : stats) {
      st.refresh();
    }
    return x;
  }

  @Test
  void weightsHaveMeanOneAreClippedAndFavourTheShoulder() {
    OnlineScoreStatistics stats = new OnlineScoreStatistics(unguarded(1e12, 10));
    double[] x = shoulderMixture(stats);
    double sum = 0;
    for (double v : x) {
      double w = stats.weight(v);
      assertThat(w).isBetween(0.1, 10.0);
      sum += w;
    }
    assertThat(sum / x.length).isCloseTo(1.0, within(0.05));
    assertThat(stats.weight(10)).as("dense mode").isLessThan(1);
    // the target N(median, 1.4826 MAD) is narrow next to the shoulder: up-weighted just above the
    // mode only
    assertThat(stats.weight(10.5)).as("shoulder").isGreaterThan(1.2);
    assertThat(stats.weight(12)).as("far shoulder").isLessThan(0.5);
    assertThat(stats.weight(18)).as("extreme tail").isCloseTo(0.1, within(0.01));
    assertThat(stats.weightMin()).isGreaterThanOrEqualTo(0.1);
    assertThat(stats.weightMax()).isLessThanOrEqualTo(10);
  }

  @Test
  void theMomentTargetUpWeightsTheFarShoulder() {
    OnlineScoreStatistics robust = new OnlineScoreStatistics(unguarded(1e12, 10));
    OnlineScoreStatistics moment =
        new OnlineScoreStatistics(
            new OnlineScoreStatistics.Config(
                512, 1e12, 0.01, 10, 0.1, 10, 1e6, 16, ScoreTarget.MOMENT));
    double sum = 0;
    double[] x = shoulderMixture(robust, moment);
    for (double v : x) {
      sum += moment.weight(v);
    }
    assertThat(sum / x.length).isCloseTo(1.0, within(0.05));
    assertThat(moment.weight(12)).as("far shoulder, moment target").isGreaterThan(1.2);
    assertThat(robust.weight(12)).as("far shoulder, robust target").isLessThan(0.5);
    assertThat(moment.weight(10)).as("dense mode").isLessThan(1);
    assertThat(moment.weight(18)).as("extreme tail").isCloseTo(0.1, within(0.01));
  }

  /**
   * QUANTILE: the Gaussian with the observed median and (1 - alpha) quantile, so its shoulder
   * reaches the threshold: the scores just below it are up-weighted where the robust target has
   * decayed, and the extreme tail beyond it is clipped to the lower weight.
   */
  @Test
  void theQuantileTargetSharesTheThresholdAndUpWeightsJustBelowIt() {
    OnlineScoreStatistics robust = new OnlineScoreStatistics(unguarded(1e12, 10));
    OnlineScoreStatistics quantile =
        new OnlineScoreStatistics(
            new OnlineScoreStatistics.Config(
                512, 1e12, 0.01, 10, 0.1, 10, 1e6, 16, ScoreTarget.QUANTILE));
    double[] x = shoulderMixture(robust, quantile);
    double threshold = quantile.threshold(Double.NaN);
    Arrays.sort(x);
    assertThat(threshold).isCloseTo(exactQuantile(x, 0.99), within(0.1));
    // p(median) = 1 / (sigma sqrt(2 pi)) gives the target's sigma; median + z(0.99) sigma is the
    // threshold
    double sigma = 1 / (quantile.target(quantile.median()) * Math.sqrt(2 * Math.PI));
    assertThat(quantile.median() + 2.3263 * sigma).isCloseTo(threshold, within(1e-3));
    assertThat(sigma).isGreaterThan(1.4826 * quantile.mad());
    double sum = 0;
    for (double v : x) {
      sum += quantile.weight(v);
    }
    assertThat(sum / x.length).isCloseTo(1.0, within(0.05));
    double belowThreshold = threshold - 0.3;
    assertThat(quantile.weight(belowThreshold))
        .as("just below the threshold")
        .isGreaterThan(1.2)
        .isGreaterThan(5 * robust.weight(belowThreshold));
    assertThat(quantile.weight(10)).as("dense mode").isLessThan(1);
    // the lower clip divided by the normaliser (the mean raw weight, here below 1)
    assertThat(quantile.weight(18)).as("extreme tail").isLessThan(0.15);
  }

  /**
   * FLAT: p uniform over the range, so w = c / q wherever unclipped; the far tail is up-weighted,
   * not cut.
   */
  @Test
  void theFlatTargetWeightsByTheInverseObservedDensity() {
    OnlineScoreStatistics flat =
        new OnlineScoreStatistics(
            new OnlineScoreStatistics.Config(
                512, 1e12, 0.01, 10, 0.001, 1000, 1e6, 16, ScoreTarget.FLAT));
    SplittableRandom rnd = new SplittableRandom(5);
    double[] x = new double[20_000];
    for (int i = 0; i < x.length; i++) {
      double u = rnd.nextDouble();
      x[i] =
          u < 0.70
              ? 10 + 0.3 * gaussian(rnd)
              : u < 0.98 ? 10.8 + 0.6 * gaussian(rnd) : 16 + 0.5 * gaussian(rnd);
      flat.add(x[i], false);
    }
    flat.refresh();
    double sum = 0;
    for (double v : x) {
      sum += flat.weight(v);
    }
    assertThat(sum / x.length).isCloseTo(1.0, within(0.05));
    assertThat(flat.target(3)).isEqualTo(flat.target(15));
    for (double[] pair : new double[][] {{10, 11.5}, {10, 16}, {11.5, 16}}) {
      double ratio = flat.weight(pair[0]) / flat.weight(pair[1]);
      assertThat(ratio)
          .as("w(%s) / w(%s) = q(%s) / q(%s)", pair[0], pair[1], pair[1], pair[0])
          .isCloseTo(flat.observed(pair[1]) / flat.observed(pair[0]), within(1e-9 + 1e-6 * ratio));
    }
    assertThat(flat.weight(16))
        .as("the far cluster (2%)")
        .isGreaterThan(flat.weight(11.5))
        .isGreaterThan(10 * flat.weight(10));
  }

  @Test
  void thresholdIsTheFloorUntilMinFramesAndGrossOutliersStayOut() {
    OnlineScoreStatistics stats = new OnlineScoreStatistics(config(1000, 100));
    SplittableRandom rnd = new SplittableRandom(4);
    assertThat(stats.weight(3)).isEqualTo(1.0);
    for (int i = 0; i < 99; i++) {
      stats.add(5 + gaussian(rnd), false);
    }
    assertThat(stats.threshold(42)).isEqualTo(42);
    assertThat(stats.warmedUp()).isFalse();
    stats.add(5, false);
    stats.refresh();
    assertThat(stats.warmedUp()).isTrue();
    assertThat(stats.threshold(42)).isBetween(6.5, 8.5);
    assertThat(stats.add(500, true)).as("a gross outlier").isFalse();
    assertThat(stats.outliers()).isEqualTo(1);
    assertThat(stats.alertRate()).isGreaterThan(0);
    assertThat(stats.add(Math.nextDown(stats.guard()), true)).isTrue();
    assertThatThrownBy(() -> stats.add(Double.NaN, false)).hasMessageContaining("finite");
  }

  @Test
  void aShiftOfTheNormalScoresLiftsTheGuard() {
    OnlineScoreStatistics stats = new OnlineScoreStatistics(config(200, 10));
    SplittableRandom rnd = new SplittableRandom(6);
    for (int i = 0; i < 2000; i++) {
      stats.add(10 + gaussian(rnd), false);
    }
    int excluded = 0;
    for (int i = 0; i < 2000; i++) {
      excluded += stats.add(30 + gaussian(rnd), true) ? 0 : 1;
    }
    assertThat(excluded).as("scores kept out before the shift was recognised").isBetween(20, 200);
    assertThat(stats.median()).isCloseTo(30, within(0.3));
  }

  @Test
  void stateRoundTripsAndContinuesIdentically() {
    OnlineScoreStatistics a = new OnlineScoreStatistics(config(300, 50));
    SplittableRandom rnd = new SplittableRandom(5);
    for (int i = 0; i < 1234; i++) {
      a.add(Math.abs(3 + gaussian(rnd)), i % 50 == 0);
    }
    OnlineScoreStatistics b = OnlineScoreStatistics.fromBytes(a.toBytes());
    for (int i = 0; i < 321; i++) {
      double s = Math.abs(3 + gaussian(rnd));
      assertThat(b.threshold(1)).isEqualTo(a.threshold(1));
      assertThat(b.weight(s)).isEqualTo(a.weight(s));
      a.add(s, false);
      b.add(s, false);
    }
    assertThat(b.toBytes()).isEqualTo(a.toBytes());
    byte[] bytes = a.toBytes();
    bytes[3] = 9;
    assertThatThrownBy(() -> OnlineScoreStatistics.fromBytes(bytes))
        .hasMessageContaining("version 9");
    OnlineScoreStatistics c =
        a.withConfig(new OnlineScoreStatistics.Config(512, 300, 0.05, 50, 0.1, 10, 8, 16));
    assertThat(c.threshold(1)).isLessThan(a.threshold(1));
    assertThatThrownBy(() -> a.withConfig(config(999, 50))).hasMessageContaining("half-life");
  }

  @Test
  void badConfigNamesTheLimit() {
    assertThatThrownBy(() -> config(1, 10)).hasMessageContaining("half-life must be at least 10");
    assertThatThrownBy(() -> new OnlineScoreStatistics.Config(512, 100, 0.7, 1, 0.1, 10, 8, 16))
        .hasMessageContaining("(0, 0.5)");
    assertThatThrownBy(() -> new OnlineScoreStatistics.Config(512, 100, 0.01, 1, 2, 10, 8, 16))
        .hasMessageContaining("0 < min <= 1 <= max");
  }

  static double gaussian(SplittableRandom rnd) {
    double u = rnd.nextDouble();
    double v = rnd.nextDouble();
    return Math.sqrt(-2 * Math.log(1 - u)) * Math.cos(2 * Math.PI * v);
  }
}
