package io.tailwatch.flink.decision;

import static org.assertj.core.api.Assertions.assertThat;

import io.tailwatch.detector.online.OnlineScoreStatistics;
import io.tailwatch.flink.adapt.Adaptation;
import io.tailwatch.flink.adapt.ScopeKey;
import io.tailwatch.flink.inference.ScoredFrame;
import io.tailwatch.flink.testing.TestFrames;
import io.tailwatch.schemas.FrameScore;
import java.util.List;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

/**
 * The decision stage alone: each scored frame judged by its scope's threshold (the scoring bank's
 * until the scope has warmed up), one FrameScore per frame, alerted frames to the renderer with the
 * threshold and calibrated score they were judged by; scopes per line, apart.
 */
class DecisionOperatorTest {
  static Adaptation adaptive() {
    return new Adaptation(
        new OnlineScoreStatistics.Config(512, 1000, 0.1, 20, 0.1, 10, 8, 4),
        true,
        0,
        false,
        true,
        4,
        1,
        5_000);
  }

  static ScoredFrame scored(String line, int i, double score) {
    ScoredFrame s = new ScoredFrame();
    s.frame = TestFrames.raw("f" + i, 8, 0);
    s.frame.setLineId(line);
    s.frameWidth = 8;
    s.frameHeight = 8;
    s.score = score;
    s.map = new float[64];
    s.mapSize = 8;
    s.bankVersion = "bank-1";
    s.modelVersion = "m";
    s.bankThreshold = 0.5;
    s.bankCalibrated = 0.9;
    return s;
  }

  @Test
  void keyedByLineEachScopeWarmsUpToItsOwnThreshold() throws Exception {
    try (var h =
        new KeyedOneInputStreamOperatorTestHarness<>(
            new DecisionOperator(adaptive()), new ScopeKey(), Types.STRING)) {
      h.open();
      for (int i = 0; i < 40; i++) {
        h.processElement(new StreamRecord<>(scored("low", i, 0.10 + 0.001 * i)));
        h.processElement(new StreamRecord<>(scored("high", i, 0.60 + 0.001 * i)));
      }
      List<FrameScore> out = h.extractOutputValues();
      assertThat(out).hasSize(80);
      assertThat(out.get(1).getThreshold()).as("before min-frames: the bank's").isEqualTo(0.5);
      assertThat(out.get(1).getAnomalous()).as("0.60 > 0.5").isTrue();
      FrameScore lastLow = out.get(78);
      FrameScore lastHigh = out.get(79);
      assertThat(lastLow.getLineId()).isEqualTo("low");
      assertThat(lastLow.getThreshold()).as("low's quantile, held up by the floor").isEqualTo(0.25);
      assertThat(lastHigh.getThreshold())
          .as("high's own quantile, at most the ceiling")
          .isBetween(0.6, 0.75);
      assertThat(lastHigh.getAnomalous()).isEqualTo(lastHigh.getScore() > lastHigh.getThreshold());
      var toRender = h.getSideOutput(DecisionOperator.TO_RENDER);
      long alerted = out.stream().filter(FrameScore::getAnomalous).count();
      assertThat(toRender).hasSize((int) alerted);
      ScoredFrame first = toRender.peek().getValue();
      assertThat(first.threshold).isEqualTo(0.5);
      assertThat(first.calibrated).as("not warmed up: the bank's calibration").isEqualTo(0.9);
      assertThat(first.decidedAt).isEqualTo(h.getProcessingTime());
    }
  }

  /** Adaptation off: unkeyed, no statistics, every frame judged by the bank's threshold. */
  @Test
  void unkeyedItJudgesByTheBanksThreshold() throws Exception {
    try (var h =
        new OneInputStreamOperatorTestHarness<ScoredFrame, FrameScore>(
            new DecisionOperator(Adaptation.off()))) {
      h.open();
      for (int i = 0; i < 50; i++) {
        h.processElement(new StreamRecord<>(scored("l", i, i % 2 == 0 ? 0.4 : 0.6)));
      }
      assertThat(h.extractOutputValues())
          .allSatisfy(
              f -> {
                assertThat(f.getThreshold()).isEqualTo(0.5);
                assertThat(f.getAnomalous()).isEqualTo(f.getScore() > 0.5);
                assertThat(f.getBankVersion()).isEqualTo("bank-1");
              });
      assertThat(h.getSideOutput(DecisionOperator.TO_RENDER)).hasSize(25);
      assertThat(h.getSideOutput(DecisionOperator.STATISTICS)).isNull();
    }
  }
}
