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
    return new OnlineScoreStatistics.Config(2048, halfLife, 0.01, minFrames, 0.1, 10, 8, 16);
  }

  /** Every score enters (no outlier guard). */
  private static OnlineScoreStatistics.Config unguarded(double halfLife, long minFrames) {
    return new OnlineScoreStatistics.Config(2048, halfLife, 0.01, minFrames, 0.1, 10, 1e6, 16);
  }

  /**
   * Adds a score as the scoring operator would: alerted when above the threshold in force (no
   * calibrated bound).
   */
  private static void feed(OnlineScoreStatistics stats, double score) {
    stats.add(score, stats.warmedUp() && score > stats.threshold(Double.NaN));
  }

  /** An independent oracle: commons-math3's R-7 percentile of the exact values. */
  private static double exactQuantile(double[] values, double p) {
    return new Percentile()
        .withEstimationType(Percentile.EstimationType.R_7)
        .evaluate(values, 100 * p);
  }

  @Test
  void quantilesMatchExactValuesWithinABin() {
    // no decay to speak of; never warmed up, so every score enters the sketch
    OnlineScoreStatistics stats = new OnlineScoreStatistics(unguarded(1e12, 1_000_000));
    // the same scores judged by the online threshold once warmed up
    OnlineScoreStatistics judged = new OnlineScoreStatistics(unguarded(1e12, 100));
    SplittableRandom rnd = new SplittableRandom(1);
    double[] x = new double[20_000];
    for (int i = 0; i < x.length; i++) {
      x[i] = Math.exp(1 + 0.4 * gaussian(rnd)); // right-skewed, like image scores
      stats.add(x[i], false);
      feed(judged, x[i]);
    }
    stats.refresh();
    judged.refresh();
    double[] sorted = x.clone();
    Arrays.sort(sorted);
    // log-spaced bins 1% wide: quantiles within a bin of the exact value, relative
    for (double p : new double[] {0.001, 0.1, 0.5, 0.9, 0.99, 0.999}) {
      double exact = exactQuantile(sorted, p);
      assertThat(stats.quantileOfHistogram(p))
          .as("q%.3f", p)
          .isCloseTo(exact, within(0.01 * exact));
    }
    double median = exactQuantile(sorted, 0.5);
    assertThat(stats.median()).isCloseTo(median, within(0.01 * median));
    double[] dev = Arrays.stream(x).map(v -> Math.abs(v - median)).sorted().toArray();
    double mad = exactQuantile(dev, 0.5);
    assertThat(stats.mad()).isCloseTo(mad, within(0.02 * mad + 0.01 * median));
    // moments are exact (no binning)
    double mean = Arrays.stream(x).average().orElseThrow();
    double sd = Math.sqrt(Arrays.stream(x).map(v -> (v - mean) * (v - mean)).sum() / x.length);
    double skew = Arrays.stream(x).map(v -> Math.pow((v - mean) / sd, 3)).sum() / x.length;
    assertThat(stats.mean()).isCloseTo(mean, within(1e-6 * mean));
    assertThat(stats.skewness()).isCloseTo(skew, within(1e-3));
    assertThat(stats.skewness()).isGreaterThan(0.8);
    // threshold: the (1 - alpha) quantile once warmed up
    double q99 = exactQuantile(sorted, 0.99);
    // the threshold tracks the 0.99 quantile (the frames that alerted are counted above it, not
    // scored): within a few percent, the tracking's noise
    double t = judged.threshold(Double.NaN);
    assertThat(t).isCloseTo(q99, within(0.04 * q99));
    // bounded by [0.5, 2] x the calibrated threshold
    assertThat(judged.threshold(t / 3)).isEqualTo(t / 3 * 2);
    assertThat(judged.threshold(t * 3)).isEqualTo(t * 3 * 0.5);
    assertThat(judged.threshold(t)).isEqualTo(t);
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
        // the weights as functions of the sketch: every score enters, except where the target
        // needs the threshold
        if (st.config().target() == ScoreTarget.QUANTILE) {
          feed(st, x[i]);
        } else {
          st.add(x[i], false);
        }
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
                2048, 1e12, 0.01, 10, 0.1, 10, 1e6, 16, ScoreTarget.MOMENT));
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
                2048, 1e12, 0.01, 10, 0.1, 10, 1e6, 16, ScoreTarget.QUANTILE));
    double[] x = shoulderMixture(robust, quantile);
    double threshold = quantile.threshold(Double.NaN);
    Arrays.sort(x);
    assertThat(threshold).isCloseTo(exactQuantile(x, 0.99), within(0.4));
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
                2048, 1e12, 0.01, 10, 0.001, 1000, 1e6, 16, ScoreTarget.FLAT));
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
    assertThat(stats.threshold(7)).isBetween(6.5, 8.5);
    assertThat(stats.add(500, false)).as("a gross outlier").isFalse();
    assertThat(stats.outliers()).isEqualTo(1);
    assertThat(stats.add(9, true)).as("alerted once warmed up: censored, not scored").isFalse();
    assertThat(stats.censoredCount()).isEqualTo(1);
    assertThat(stats.alertRate()).isGreaterThan(0);
    assertThat(stats.add(Math.nextDown(stats.guard()), false)).isTrue();
    assertThatThrownBy(() -> stats.add(Double.NaN, false)).hasMessageContaining("finite");
  }

  /**
   * The loop of the scoring operator: judge by the threshold in force (calibrated 14, while the
   * normal scores' 0.99 quantile is 12.33), then record. Returns the frames that alerted.
   */
  private static int run(
      OnlineScoreStatistics stats, int frames, SplittableRandom rnd, double mean) {
    int alerts = 0;
    for (int i = 0; i < frames; i++) {
      double s = mean + gaussian(rnd);
      OnlineDecision.Verdict v = OnlineDecision.judge(stats, 14, true, false, s);
      OnlineDecision.record(stats, null, v, s, k -> null);
      alerts += v.alerted() ? 1 : 0;
    }
    return alerts;
  }

  @Test
  void aSustainedDefectRunKeepsAlertingIsReportedAsDriftAndLeavesTheThresholdWhereItWas() {
    OnlineScoreStatistics stats = new OnlineScoreStatistics(config(1000, 200));
    SplittableRandom rnd = new SplittableRandom(6);
    run(stats, 3000, rnd, 10);
    int falseAlarms = run(stats, 4000, rnd, 10);
    assertThat(falseAlarms / 4000.0).as("false-alarm rate at the target").isBetween(0.005, 0.015);
    double before = stats.threshold(14);
    assertThat(before).as("walked down to the 0.99 quantile").isCloseTo(12.33, within(0.15));
    assertThat(stats.drift().active()).isFalse();
    int caught = run(stats, 5000, rnd, 16); // a broken tool: every frame scores 6 sigma higher
    assertThat(caught / 5000.0).as("recall over the whole defect run").isGreaterThan(0.99);
    assertThat(stats.threshold(14)).as("alerted frames never raise it").isLessThanOrEqualTo(before);
    assertThat(stats.threshold(14)).isCloseTo(before, within(0.02 * before));
    OnlineScoreStatistics.Drift drift = stats.drift();
    assertThat(drift.active()).isTrue();
    assertThat(drift.events()).isEqualTo(1);
    assertThat(drift.since()).isBetween(7000L, 7100L);
    assertThat(drift.share()).isGreaterThan(0.9);
    assertThat(drift.medianScore()).isCloseTo(16, within(0.3));
    int after = run(stats, 3000, rnd, 10);
    assertThat(after / 3000.0).as("false alarms after the run").isBetween(0.004, 0.02);
    assertThat(stats.drift().active()).as("drift ends with the run").isFalse();
    assertThat(stats.drift().events()).isEqualTo(1);
  }

  @Test
  void anAcceptedDriftIsLearnedUpToTheCeiling() {
    OnlineScoreStatistics stats = new OnlineScoreStatistics(config(1000, 200));
    SplittableRandom rnd = new SplittableRandom(7);
    run(stats, 3000, rnd, 10);
    run(stats, 1000, rnd, 13); // new lighting: normal, but scores 3 sigma higher
    assertThat(stats.drift().active()).isTrue();
    double before = stats.threshold(14);
    stats.acceptDrift();
    assertThat(stats.acceptingDrift()).isTrue();
    assertThat(stats.threshold(14)).as("warming up again: the calibrated threshold").isEqualTo(14);
    run(stats, 3000, rnd, 13);
    assertThat(stats.acceptingDrift()).isFalse();
    assertThat(stats.median()).isCloseTo(13, within(0.1));
    assertThat(stats.threshold(14)).isGreaterThan(before).isCloseTo(15.33, within(0.2));
    run(stats, 3000, rnd, 20); // a second, larger shift: drift again, not learned
    assertThat(stats.threshold(14)).isLessThanOrEqualTo(14 * 2);
    assertThat(stats.drift().events()).isEqualTo(2);
  }

  @Test
  void oneExtremeScoreMovesTheThresholdByLessThanTwoPercent() {
    for (int at : new int[] {50, 5000}) { // while warming up, and once warmed up
      OnlineScoreStatistics clean = new OnlineScoreStatistics(config(2000, 200));
      OnlineScoreStatistics hit = new OnlineScoreStatistics(config(2000, 200));
      SplittableRandom a = new SplittableRandom(8);
      SplittableRandom b = new SplittableRandom(8);
      run(clean, at, a, 10);
      run(hit, at, b, 10);
      OnlineDecision.Verdict v = OnlineDecision.judge(hit, 14, true, false, 10_000);
      OnlineDecision.record(hit, null, v, 10_000, k -> null);
      run(clean, 3000, a, 10);
      run(hit, 3000, b, 10);
      double shift = Math.abs(hit.threshold(14) / clean.threshold(14) - 1);
      assertThat(shift).as("outlier at frame %d", at).isLessThan(0.02);
      assertThat(hit.median()).isCloseTo(clean.median(), within(0.02 * clean.median()));
    }
  }

  @Test
  void readsTheLinearBinFormatOfEarlierReleases() {
    // format 1: equal bins over [0, hi); 1,000 scores of N(5, 1) in 512 bins over [0, 16)
    SplittableRandom rnd = new SplittableRandom(9);
    double[] bins = new double[512];
    double s1 = 0;
    double s2 = 0;
    for (int i = 0; i < 1000; i++) {
      double s = 5 + gaussian(rnd);
      bins[(int) (s / 16 * 512)]++;
      s1 += s;
      s2 += s * s;
    }
    java.nio.ByteBuffer b =
        java.nio.ByteBuffer.allocate(4 + 76 + 8 * 7 + 8 * 3 + 16 + 4 + 80 + 8 * 1024);
    b.putInt(1).putInt(512).putDouble(2000).putDouble(0.01).putLong(200);
    b.putDouble(0.1).putDouble(10).putDouble(8).putInt(16).putInt(ScoreTarget.ROBUST.ordinal());
    b.putDouble(16).putDouble(1).putDouble(1000).putDouble(s1).putDouble(s2).putDouble(0);
    b.putDouble(1000).putLong(1000).putLong(1000).putLong(0).putDouble(0).putDouble(0).putInt(0);
    for (int i = 0; i < 10; i++) {
      b.putDouble(Double.NaN);
    }
    for (double v : bins) {
      b.putDouble(v);
    }
    OnlineScoreStatistics restored = OnlineScoreStatistics.fromBytes(b.array());
    assertThat(restored.count()).isEqualTo(1000);
    assertThat(restored.config().bins()).isEqualTo(2048);
    assertThat(restored.median()).isCloseTo(5, within(0.15));
    assertThat(restored.threshold(Double.NaN)).isCloseTo(5 + 2.33, within(0.3));
    assertThat(restored.mean()).isCloseTo(s1 / 1000, within(1e-9));
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
        a.withConfig(new OnlineScoreStatistics.Config(2048, 300, 0.05, 50, 0.1, 10, 8, 16));
    assertThat(c.threshold(Double.NaN)).isLessThan(a.threshold(Double.NaN));
    assertThatThrownBy(() -> a.withConfig(config(999, 50))).hasMessageContaining("half-life");
  }

  @Test
  void badConfigNamesTheLimit() {
    assertThatThrownBy(() -> config(1, 10)).hasMessageContaining("half-life must be at least 10");
    assertThatThrownBy(() -> new OnlineScoreStatistics.Config(2048, 100, 0.7, 1, 0.1, 10, 8, 16))
        .hasMessageContaining("(0, 0.5)");
    assertThatThrownBy(() -> new OnlineScoreStatistics.Config(2048, 100, 0.01, 1, 2, 10, 8, 16))
        .hasMessageContaining("0 < min <= 1 <= max");
    assertThatThrownBy(
            () ->
                new OnlineScoreStatistics.Config(
                    2048, 100, 0.01, 1, 0.1, 10, 8, 16, ScoreTarget.ROBUST, 0.5, 0.9, 500, 0.1))
        .hasMessageContaining("max-factor must be in [1, 100], was 0.9");
    assertThatThrownBy(
            () ->
                new OnlineScoreStatistics.Config(
                    2048, 100, 0.05, 1, 0.1, 10, 8, 16, ScoreTarget.ROBUST, 0.5, 2, 500, 0.05))
        .hasMessageContaining("drift share must be in (false-alarm rate 0.05, 1), was 0.05");
  }

  static double gaussian(SplittableRandom rnd) {
    double u = rnd.nextDouble();
    double v = rnd.nextDouble();
    return Math.sqrt(-2 * Math.log(1 - u)) * Math.cos(2 * Math.PI * v);
  }
}
