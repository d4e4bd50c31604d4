package io.tailwatch.detector.online;

import static org.assertj.core.api.Assertions.assertThat;

import io.tailwatch.detector.stats.ScoreTarget;
import java.util.Random;
import org.junit.jupiter.api.Test;

class OnlineDecisionTest {
  private static OnlineScoreStatistics warmed(int frames) {
    OnlineScoreStatistics stats =
        new OnlineScoreStatistics(
            new OnlineScoreStatistics.Config(
                512, 1000, 0.01, 100, 0.1, 10, 8, 16, ScoreTarget.MOMENT));
    Random r = new Random(1);
    for (int i = 0; i < frames; i++) {
      stats.add(1 + 0.1 * r.nextGaussian() + (i % 20 == 0 ? 0.5 : 0), false);
    }
    stats.refresh();
    return stats;
  }

  @Test
  void thresholdIsTheFixedOneUntilWarmedUpAndWithoutAScope() {
    assertThat(OnlineDecision.threshold(null, 2.5, true)).isEqualTo(2.5);
    assertThat(OnlineDecision.threshold(warmed(50), 2.5, true))
        .as("before min-frames")
        .isEqualTo(2.5);
    OnlineScoreStatistics stats = warmed(2000);
    assertThat(OnlineDecision.threshold(stats, 2.5, false)).isEqualTo(2.5);
    assertThat(OnlineDecision.threshold(stats, 2.5, true))
        .isEqualTo(stats.threshold(2.5))
        .isLessThan(2.0);
  }

  @Test
  void verdictAlertsAboveTheThresholdAndWeighsOnlyWithGaussianWeighting() {
    OnlineScoreStatistics stats = warmed(2000);
    OnlineDecision.Verdict low = OnlineDecision.judge(stats, 2.5, false, true, 1.0);
    assertThat(low.alerted()).isFalse();
    assertThat(low.weight()).isEqualTo(stats.weight(1.0)).isNotEqualTo(1.0);
    assertThat(OnlineDecision.judge(stats, 2.5, false, false, 1.0).weight()).isEqualTo(1.0);
    assertThat(OnlineDecision.judge(null, 2.5, true, true, 1.0).weight())
        .as("no scope")
        .isEqualTo(1.0);
    assertThat(OnlineDecision.judge(stats, 2.5, false, true, 2.6).alerted()).isTrue();
    assertThat(OnlineDecision.judge(stats, 2.5, false, true, 2.5).alerted())
        .as("strictly above")
        .isFalse();
    // tempered: w^x as the priority weight; uniform stays 1
    assertThat(OnlineDecision.judge(stats, 2.5, false, true, 3, 1.0).weight())
        .isCloseTo(Math.pow(stats.weight(1.0), 3), org.assertj.core.data.Offset.offset(1e-12));
    assertThat(OnlineDecision.judge(stats, 2.5, false, false, 3, 1.0).weight()).isEqualTo(1.0);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> OnlineDecision.checkExponent(0))
        .hasMessageContaining("weight exponent must be in (0, 4.0], was 0.0");
  }

  @Test
  void onlyNonAlertingFramesAreOfferedAndEveryScoreIsCounted() {
    OnlineScoreStatistics stats = warmed(2000);
    WeightedReservoir<String> reservoir = new WeightedReservoir<>(10, 3);
    long before = stats.count();
    OnlineDecision.record(
        stats, reservoir, OnlineDecision.judge(stats, 2.5, false, true, 3.0), 3.0, k -> "alerting");
    OnlineDecision.record(
        stats, reservoir, OnlineDecision.judge(stats, 2.5, false, true, 1.0), 1.0, k -> "normal");
    OnlineDecision.record(
        stats, null, OnlineDecision.judge(stats, 2.5, false, true, 1.1), 1.1, k -> "no updates");
    assertThat(reservoir.entries())
        .extracting(WeightedReservoir.Entry::item)
        .containsExactly("normal");
    assertThat(stats.count()).isEqualTo(before + 3);
  }
}
