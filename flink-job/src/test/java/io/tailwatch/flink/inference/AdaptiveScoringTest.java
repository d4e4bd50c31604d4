package io.tailwatch.flink.inference;

import static org.assertj.core.api.Assertions.assertThat;

import io.tailwatch.detector.bank.BankFormatException;
import io.tailwatch.detector.image.FloatImage;
import io.tailwatch.detector.online.OnlineScoreStatistics;
import io.tailwatch.detector.scoring.Detection;
import io.tailwatch.flink.adapt.Adaptation;
import io.tailwatch.flink.adapt.BankCandidate;
import io.tailwatch.flink.decision.DecisionOperator;
import io.tailwatch.flink.testing.TestFrames;
import io.tailwatch.schemas.BankUpdate;
import io.tailwatch.schemas.CameraFrame;
import io.tailwatch.schemas.FrameScore;
import io.tailwatch.schemas.Modality;
import io.tailwatch.schemas.ScoreStatistics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The inference and decision stages together ({@link StagesHarness}), online part on a keyed
 * stream: per-line thresholds from the statistics, kept across a restore; statistics snapshots;
 * bank-update candidates; bank swaps between batches and refusal of a bad bank. The detector's
 * score is the frame's mean pixel value (0..1); its "bank" is a file whose text is its checksum.
 */
class AdaptiveScoringTest {
  record FileBankDetector(String initialVersion) implements DetectorFactory {
    @Override
    public FrameDetector open() {
      return new TestDetector(0.5, "file-model", initialVersion) {
        @Override
        public List<Detection> detect(List<FloatImage> images) {
          List<Detection> out = new ArrayList<>();
          for (FloatImage image : images) {
            double sum = 0;
            for (float v : image.data()) {
              sum += v;
            }
            float s = (float) (sum / image.data().length);
            out.add(
                new Detection(
                    s,
                    new float[] {s},
                    1,
                    1,
                    new float[64],
                    8,
                    new float[] {s, bankVersion.length()},
                    0,
                    2));
          }
          return out;
        }

        @Override
        public void swapBank(Path bank, String expectedSha256) throws Exception {
          String text = Files.readString(bank);
          if (!text.equals(expectedSha256)) {
            throw new BankFormatException(
                bank + ": checksum " + text + " is not the announced " + expectedSha256);
          }
          bankVersion = bank.getFileName().toString();
        }
      };
    }
  }

  static Adaptation adaptation(boolean bankUpdates) {
    return new Adaptation(
        new OnlineScoreStatistics.Config(512, 1000, 0.1, 20, 0.1, 10, 8, 4),
        true,
        1_000,
        bankUpdates,
        true,
        4,
        1,
        5_000);
  }

  static StagesHarness keyed(boolean bankUpdates) throws Exception {
    return new StagesHarness(new FileBankDetector("bank-1"), adaptation(bankUpdates), 4, 10_000);
  }

  @Test
  void thresholdGoesOnlineAfterMinFramesAndSurvivesARestore() throws Exception {
    StagesHarness.Snapshot snapshot;
    double lastThreshold;
    try (var h = keyed(false)) {
      h.open();
      h.setProcessingTime(10);
      for (int i = 0; i < 40; i++) {
        h.processElement(InferenceOperatorTest.frame(i, 100 + i)); // scores 0.39 .. 0.545
      }
      List<FrameScore> out = h.extractOutputValues();
      assertThat(out).hasSize(40);
      assertThat(out.get(10).getThreshold())
          .as("before min-frames: the fixed threshold")
          .isEqualTo(0.5);
      lastThreshold = out.get(39).getThreshold();
      // the 0.9 quantile of the 20 warm-up scores (100/255 .. 119/255); the rising scores after
      // them alert, are counted above it without their scores, and raise it only slowly by their
      // share
      assertThat(lastThreshold).isBetween(116 / 255.0, 122 / 255.0);
      assertThat(out.subList(24, 40)).allMatch(FrameScore::getAnomalous);
      assertThat(out.get(39).getAnomalous()).isEqualTo(out.get(39).getScore() > lastThreshold);
      h.setProcessingTime(1_000);
      List<ScoreStatistics> stats = new ArrayList<>();
      h.getSideOutput(DecisionOperator.STATISTICS).forEach(r -> stats.add(r.getValue()));
      assertThat(stats).hasSize(1);
      assertThat(stats.get(0).getLineId()).isEqualTo("line-1");
      assertThat(stats.get(0).getCount()).isEqualTo(40);
      // the threshold in force now: the last frame's alert moved it a little after it was judged
      assertThat(stats.get(0).getThreshold())
          .isCloseTo(lastThreshold, org.assertj.core.data.Offset.offset(1e-3));
      lastThreshold = stats.get(0).getThreshold();
      snapshot = h.snapshot(1, 1_000);
    }
    try (var h = keyed(false)) {
      h.initializeState(snapshot);
      h.open();
      h.processElement(InferenceOperatorTest.frame(40, 120));
      h.prepareSnapshotPreBarrier(2);
      assertThat(h.extractOutputValues().get(0).getThreshold())
          .as("threshold after the restore")
          .isEqualTo(lastThreshold);
    }
  }

  /**
   * A savepoint taken with one statistics half-life restored into a job with another: the scope's
   * sketch cannot continue, so it starts again (WARN, statisticsResets) instead of failing every
   * restart; a restore with the same settings keeps its state.
   */
  @Test
  void aChangedHalfLifeResetsTheScopeInsteadOfFailingTheRestore() throws Exception {
    StagesHarness.Snapshot snapshot;
    try (var h = keyed(false)) {
      h.open();
      for (int i = 0; i < 40; i++) {
        h.processElement(InferenceOperatorTest.frame(i, 100 + i));
      }
      h.prepareSnapshotPreBarrier(1);
      snapshot = h.snapshot(1, 1_000);
    }
    Adaptation changed =
        new Adaptation(
            new OnlineScoreStatistics.Config(512, 250, 0.1, 20, 0.1, 10, 8, 4),
            true,
            1_000,
            false,
            true,
            4,
            1,
            5_000);
    try (var h = new StagesHarness(new FileBankDetector("bank-1"), changed, 4, 10_000)) {
      h.initializeState(snapshot);
      h.open();
      h.processElement(InferenceOperatorTest.frame(40, 120));
      h.prepareSnapshotPreBarrier(2);
      assertThat(h.extractOutputValues().get(0).getThreshold())
          .as("a fresh scope: the fixed threshold until min-frames")
          .isEqualTo(0.5);
      assertThat(h.decisionOperator().metricsForTest().statisticsResets()).isEqualTo(1);
    }
  }

  /**
   * statistics.per-source: two cameras of one line, one scoring low and one high, each judged by
   * its own scope.
   */
  @Test
  void perSourceScopesKeepTheirOwnStatisticsAndThresholds() throws Exception {
    Adaptation perSource =
        new Adaptation(
            new OnlineScoreStatistics.Config(512, 1000, 0.1, 20, 0.1, 10, 8, 4),
            true,
            1_000,
            false,
            true,
            4,
            1,
            5_000,
            1,
            true);
    try (var h = new StagesHarness(new FileBankDetector("bank-1"), perSource, 4, 10_000)) {
      h.open();
      h.setProcessingTime(10);
      for (int i = 0; i < 80; i++) {
        boolean a = i % 2 == 0;
        CameraFrame f =
            TestFrames.raw(
                "f" + i, 8, a ? 40 + i / 2 : 160 + i / 2); // a: 0.16 .. 0.31, b: 0.63 .. 0.78
        f.setSourceId(a ? "cam-a" : "cam-b");
        h.processElement(new StreamRecord<>(TestFrames.ingested(f, i)));
      }
      List<FrameScore> out = h.extractOutputValues();
      FrameScore lastA = out.get(78);
      FrameScore lastB = out.get(79);
      assertThat(lastA.getSourceId()).isEqualTo("cam-a");
      // each camera's own warm-up quantile (20 frames each), within [0.5, 1.5] x the fixed 0.5
      assertThat(lastA.getThreshold())
          .as("cam-a's own 0.9 quantile (about 0.22) held up by the floor, 0.5 x 0.5")
          .isEqualTo(0.25);
      assertThat(lastB.getThreshold())
          .as("cam-b's own 0.9 quantile")
          .isBetween(175 / 255.0, 185 / 255.0);
      h.setProcessingTime(1_000);
      List<ScoreStatistics> stats = new ArrayList<>();
      h.getSideOutput(DecisionOperator.STATISTICS).forEach(r -> stats.add(r.getValue()));
      assertThat(stats)
          .extracting(ScoreStatistics::getSourceId)
          .containsExactlyInAnyOrder("cam-a", "cam-b");
      assertThat(stats)
          .allSatisfy(
              st -> {
                assertThat(st.getLineId()).isEqualTo("line-1");
                assertThat(st.getCount()).isEqualTo(40);
              });
    }
    // per line (the default): one scope, no source in the snapshot
    try (var h = keyed(false)) {
      h.open();
      h.setProcessingTime(10);
      for (int i = 0; i < 8; i++) {
        CameraFrame f = TestFrames.raw("f" + i, 8, 100);
        f.setSourceId(i % 2 == 0 ? "cam-a" : "cam-b");
        h.processElement(new StreamRecord<>(TestFrames.ingested(f, i)));
      }
      h.setProcessingTime(1_000);
      List<ScoreStatistics> stats = new ArrayList<>();
      h.getSideOutput(DecisionOperator.STATISTICS).forEach(r -> stats.add(r.getValue()));
      assertThat(stats)
          .singleElement()
          .satisfies(
              st -> {
                assertThat(st.getSourceId()).isNull();
                assertThat(st.getCount()).isEqualTo(8);
              });
    }
  }

  @Test
  void normalFramesBecomeWeightedCandidatesAtTheUpdateInterval() throws Exception {
    try (var h = keyed(true)) {
      h.open();
      h.setProcessingTime(10);
      for (int i = 0; i < 12; i++) {
        h.processElement(InferenceOperatorTest.frame(i, i == 5 ? 250 : 100)); // frame 5 alerts
      }
      assertThat(h.getSideOutput(DecisionOperator.CANDIDATES))
          .as("nothing before the interval")
          .isNull();
      h.setProcessingTime(5_000);
      List<BankCandidate> picked = new ArrayList<>();
      h.getSideOutput(DecisionOperator.CANDIDATES).forEach(r -> picked.add(r.getValue()));
      assertThat(picked)
          .hasSize(4)
          .allSatisfy(
              c -> {
                assertThat(c.frameId).isNotEqualTo("f5");
                assertThat(c.scope).isEqualTo("line-1/camera");
                assertThat(c.dim).isEqualTo(2);
                assertThat(c.vectors).hasSize(2);
                assertThat(c.bankVersion).isEqualTo("bank-1");
              });
    }
  }

  /** The stages with the control input (bank announcements, accepted drifts). */
  static StagesHarness withControl(Adaptation adaptation) throws Exception {
    return new StagesHarness(new FileBankDetector("bank-1"), adaptation, 4, 10_000);
  }

  static BankUpdate announcement(Path file, String sha) {
    return BankUpdate.newBuilder()
        .setBankVersion(file.getFileName().toString())
        .setModelVersion("file-model")
        .setModality(Modality.CAMERA)
        .setBankUri(file.toUri().toString())
        .setSha256(sha)
        .setBackboneId("b")
        .setDimension(2)
        .setCount(1)
        .setCreatedAt(Instant.ofEpochMilli(1))
        .setReason("test")
        .build();
  }

  /**
   * A line moves (scores 0.39..0.43 -> 0.76..0.80): it keeps alerting and is in drift, its
   * threshold stays; an operator's accept-drift record on the control input restarts its
   * statistics, which then learn the new look (up to the ceiling, 2 x the fixed 0.5).
   */
  /** Drift after 20 of the last 20 frames at alpha 5%, bank updates off. */
  static Adaptation driftAdaptation() {
    return new Adaptation(
        new OnlineScoreStatistics.Config(
            2048,
            1000,
            0.05,
            20,
            0.1,
            10,
            8,
            4,
            io.tailwatch.detector.stats.ScoreTarget.ROBUST,
            0.5,
            2,
            20,
            0.3),
        true,
        1_000,
        false,
        true,
        4,
        1,
        5_000);
  }

  static BankUpdate acceptDrift(String line, long at) {
    return BankUpdate.newBuilder(announcement(Path.of("none"), ""))
        .setBankVersion("accept-drift-" + line + "-" + at + "-op")
        .setLineId(line)
        .setCreatedAt(Instant.ofEpochMilli(at))
        .setReason(Adaptation.ACCEPT_DRIFT)
        .build();
  }

  @Test
  void aDriftKeepsAlertingUntilAnOperatorAcceptsIt() throws Exception {
    try (var h = withControl(driftAdaptation())) {
      h.open();
      h.setProcessingTime(10);
      int i = 0;
      for (; i < 60; i++) {
        h.processElement(InferenceOperatorTest.frame(i, 100 + i % 10));
      }
      for (; i < 120; i++) {
        h.processElement(InferenceOperatorTest.frame(i, 195 + i % 10));
      }
      h.prepareSnapshotPreBarrier(1);
      List<FrameScore> out = h.extractOutputValues();
      double before = out.get(59).getThreshold();
      assertThat(before).isBetween(105 / 255.0, 111 / 255.0);
      assertThat(out.subList(60, 120))
          .as("the moved line keeps alerting under the threshold it had")
          .allSatisfy(
              f -> {
                assertThat(f.getAnomalous()).isTrue();
                assertThat(f.getThreshold()).isLessThanOrEqualTo(before * 1.05);
              });
      h.setProcessingTime(1_000);
      List<ScoreStatistics> stats = new ArrayList<>();
      h.getSideOutput(DecisionOperator.STATISTICS).forEach(r -> stats.add(r.getValue()));
      assertThat(stats).anyMatch(ScoreStatistics::getDriftActive);

      h.processControl(acceptDrift("line-1", 2_000));
      for (; i < 200; i++) {
        h.processElement(InferenceOperatorTest.frame(i, 195 + i % 10));
      }
      h.prepareSnapshotPreBarrier(2);
      out = h.extractOutputValues();
      assertThat(out.get(121).getThreshold())
          .as("warming up again: the fixed threshold")
          .isEqualTo(0.5);
      assertThat(out.get(199).getThreshold())
          .as("the new look learned")
          .isBetween(200 / 255.0, 1.0);
      assertThat(out.subList(180, 200).stream().filter(FrameScore::getAnomalous).count())
          .isLessThanOrEqualTo(3);
      assertThat(out.get(199).getBankVersion()).as("no bank swap").isEqualTo("bank-1");
    }
  }

  /**
   * An acceptance read before a restore, for a line whose scope was not loaded then, still applies
   * after it (the control offsets are checkpointed, the record is not read again), and only once: a
   * later restore does not restart the statistics a second time.
   */
  @Test
  void aDriftAcceptanceSurvivesARestoreAndAppliesOnce() throws Exception {
    StagesHarness.Snapshot drifting;
    int i = 0;
    try (var h = withControl(driftAdaptation())) {
      h.open();
      h.setProcessingTime(10);
      for (; i < 60; i++) {
        h.processElement(InferenceOperatorTest.frame(i, 100 + i % 10));
      }
      for (; i < 120; i++) {
        h.processElement(InferenceOperatorTest.frame(i, 195 + i % 10));
      }
      h.prepareSnapshotPreBarrier(1);
      drifting = h.snapshot(1, 1_000);
    }
    StagesHarness.Snapshot accepted;
    try (var h = withControl(driftAdaptation())) {
      h.initializeState(drifting);
      h.open();
      // no frame of line-1 since the restore: its scope is not loaded when the record arrives
      h.processControl(acceptDrift("line-1", 2_000));
      h.prepareSnapshotPreBarrier(2);
      accepted = h.snapshot(2, 2_000);
    }
    StagesHarness.Snapshot learned;
    double learnedThreshold;
    try (var h = withControl(driftAdaptation())) {
      h.initializeState(accepted);
      h.open();
      h.setProcessingTime(3_000);
      for (; i < 200; i++) {
        h.processElement(InferenceOperatorTest.frame(i, 195 + i % 10));
      }
      h.prepareSnapshotPreBarrier(3);
      List<FrameScore> out = h.extractOutputValues();
      assertThat(out.get(0).getThreshold())
          .as("the acceptance read before the restore restarts the statistics: warming up")
          .isEqualTo(0.5);
      learnedThreshold = out.get(out.size() - 1).getThreshold();
      assertThat(learnedThreshold).as("the new look learned").isBetween(200 / 255.0, 1.0);
      learned = h.snapshot(3, 3_000);
    }
    try (var h = withControl(driftAdaptation())) {
      h.initializeState(learned);
      h.open();
      h.setProcessingTime(4_000);
      h.processElement(InferenceOperatorTest.frame(i, 195 + i % 10));
      h.prepareSnapshotPreBarrier(4);
      assertThat(h.extractOutputValues().get(0).getThreshold())
          .as("applied once: the next restore keeps the learned statistics")
          .isCloseTo(learnedThreshold, org.assertj.core.data.Offset.offset(0.02));
    }
  }

  @Test
  void swapsBanksBetweenBatchesAndRefusesABadOne(@TempDir Path dir) throws Exception {
    Path v2 = Files.writeString(dir.resolve("bank-2"), "sha-2");
    Path v3 = Files.writeString(dir.resolve("bank-3"), "tampered");
    try (var h = withControl(adaptation(false))) {
      h.open();
      h.setProcessingTime(0); // the start status goes out from the mailbox once open
      h.processElement(InferenceOperatorTest.frame(0, 10));
      h.processElement(InferenceOperatorTest.frame(1, 10));
      h.processControl(announcement(v2, "sha-2"));
      h.processElement(InferenceOperatorTest.frame(2, 10));
      h.processControl(announcement(v3, "sha-3"));
      h.processElement(InferenceOperatorTest.frame(3, 10));
      h.prepareSnapshotPreBarrier(1);
      assertThat(h.extractOutputValues())
          .extracting(FrameScore::getFrameId, FrameScore::getBankVersion)
          .containsExactly(
              org.assertj.core.groups.Tuple.tuple(
                  "f0", "bank-1"), // buffered before the announcement: old bank
              org.assertj.core.groups.Tuple.tuple("f1", "bank-1"),
              org.assertj.core.groups.Tuple.tuple("f2", "bank-2"),
              org.assertj.core.groups.Tuple.tuple(
                  "f3", "bank-2")); // bank-3 failed its checksum: refused
      // each event is a status record of the subtask: in use at start, swapped in, refused
      h.setProcessingTime(1);
      List<io.tailwatch.schemas.BankStatus> statuses = new ArrayList<>();
      h.inference
          .getSideOutput(InferenceOperator.BANK_STATUS)
          .forEach(r -> statuses.add(r.getValue()));
      assertThat(statuses)
          .extracting(
              st -> st.getBankVersion(),
              st -> st.getStatus().name(),
              st -> st.getActiveBankVersion())
          .containsExactly(
              org.assertj.core.groups.Tuple.tuple("bank-1", "ACTIVE", "bank-1"),
              org.assertj.core.groups.Tuple.tuple("bank-2", "ACTIVE", "bank-2"),
              org.assertj.core.groups.Tuple.tuple("bank-3", "REFUSED", "bank-2"));
      assertThat(statuses.get(0).getReason()).isEqualTo("configured");
      assertThat(statuses.get(2).getReason()).contains("is not the announced sha-3");
      assertThat(statuses.get(2).getSubtask()).isZero();
      assertThat(h.inferenceOperator().metricsForTest().bankRejectedCount()).isEqualTo(1);
      assertThat(h.inferenceOperator().metricsForTest().bankVersion())
          .as("the detectorLoaded gauge's bank")
          .isEqualTo("bank-2");
      StagesHarness.Snapshot snapshot = h.snapshot(1, 100);
      // a restore keeps the swapped-in bank, not the configured one
      try (var r = withControl(adaptation(false))) {
        r.initializeState(snapshot);
        r.open();
        r.processElement(InferenceOperatorTest.frame(4, 10));
        r.prepareSnapshotPreBarrier(2);
        assertThat(r.extractOutputValues())
            .extracting(FrameScore::getBankVersion)
            .containsExactly("bank-2");
        r.setProcessingTime(200);
        assertThat(r.inference.getSideOutput(InferenceOperator.BANK_STATUS))
            .singleElement()
            .satisfies(
                st -> {
                  assertThat(st.getValue().getBankVersion()).isEqualTo("bank-2");
                  assertThat(st.getValue().getReason()).isEqualTo("restored from state");
                });
      }
    }
  }
}
