package io.tailwatch.flink.inference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tailwatch.detector.image.FloatImage;
import io.tailwatch.detector.scoring.Detection;
import io.tailwatch.flink.ingest.FrameLimits;
import io.tailwatch.flink.ingest.IngestRouter;
import io.tailwatch.flink.ingest.Ingested;
import io.tailwatch.flink.testing.TestFrames;
import io.tailwatch.schemas.Alert;
import io.tailwatch.schemas.CameraFrame;
import io.tailwatch.schemas.DeadLetter;
import io.tailwatch.schemas.DeadLetterReason;
import io.tailwatch.schemas.FrameScore;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

/**
 * Batching, timers, checkpoint flush and state restore of the inference operator, with a scripted
 * detector whose score is the frame's mean pixel value (0..1) and whose map is the frame itself at
 * 8x8, so outputs are predictable.
 */
class BatchingInferenceOperatorTest {
  /** Batch sizes seen by each test's detector, by test key. */
  static final Map<String, List<Integer>> BATCHES = new ConcurrentHashMap<>();

  record ScriptedDetector(String key, double threshold) implements DetectorFactory {
    @Override
    public FrameDetector open() {
      BATCHES.putIfAbsent(key, new CopyOnWriteArrayList<>());
      return new TestDetector(threshold, "scripted", "bank-1") {
        @Override
        public List<Detection> detect(List<FloatImage> images) {
          BATCHES.get(key).add(images.size());
          List<Detection> out = new ArrayList<>();
          for (FloatImage image : images) {
            float[] px = image.data();
            if (px[0] > 0.99f && images.size() > 1) {
              throw new IllegalStateException("white frames poison a batch");
            }
            if (px[0] > 0.99f) {
              throw new IllegalStateException("white frame");
            }
            double sum = 0;
            for (float v : px) {
              sum += v;
            }
            float[] map = new float[64];
            java.util.Arrays.fill(map, (float) (sum / px.length));
            out.add(
                new Detection(
                    sum / px.length, new float[] {(float) (sum / px.length)}, 1, 1, map, 8));
          }
          return out;
        }
      };
    }
  }

  static final FrameLimits LIMITS = new FrameLimits(1 << 20, 1024, null);

  static OneInputStreamOperatorTestHarness<Ingested, FrameScore> harness(
      String key, int maxBatch, long waitMs) throws Exception {
    return new OneInputStreamOperatorTestHarness<>(
        new BatchingInferenceOperator(
            new ScriptedDetector(key, 0.5), LIMITS, maxBatch, waitMs, true));
  }

  static StreamRecord<Ingested> frame(int i, int value) {
    return new StreamRecord<>(TestFrames.ingested(TestFrames.raw("f" + i, 8, value), i));
  }

  static List<String> ids(OneInputStreamOperatorTestHarness<Ingested, FrameScore> h) {
    return h.extractOutputValues().stream().map(FrameScore::getFrameId).toList();
  }

  @Test
  void runsABatchWhenItIsFull() throws Exception {
    try (var h = harness("size", 3, 10_000)) {
      h.open();
      for (int i = 0; i < 7; i++) {
        h.processElement(frame(i, 10));
      }
      assertThat(BATCHES.get("size")).containsExactly(3, 3);
      assertThat(ids(h)).containsExactly("f0", "f1", "f2", "f3", "f4", "f5");
      assertThat(((BatchingInferenceOperator) h.getOperator()).buffered()).isEqualTo(1);
    }
  }

  @Test
  void runsAPartialBatchWhenTheFirstFrameHasWaitedLongEnough() throws Exception {
    try (var h = harness("time", 10, 50)) {
      h.setProcessingTime(1_000);
      h.open();
      h.processElement(frame(0, 10));
      h.setProcessingTime(1_030);
      h.processElement(frame(1, 10));
      h.setProcessingTime(1_049);
      assertThat(h.extractOutputValues()).isEmpty();
      h.setProcessingTime(1_050); // 50 ms after the first frame, not after the last
      assertThat(BATCHES.get("time")).containsExactly(2);
      assertThat(ids(h)).containsExactly("f0", "f1");
      // the next frame starts a new wait
      h.processElement(frame(2, 10));
      h.setProcessingTime(1_099);
      assertThat(BATCHES.get("time")).containsExactly(2);
      h.setProcessingTime(1_100);
      assertThat(BATCHES.get("time")).containsExactly(2, 1);
    }
  }

  @Test
  void flushesBeforeTheCheckpointBarrierSoNothingIsReplayedAfterARestore() throws Exception {
    OperatorSubtaskState snapshot;
    try (var h = harness("barrier", 10, 10_000)) {
      h.open();
      h.processElement(frame(0, 10));
      h.processElement(frame(1, 10));
      assertThat(h.extractOutputValues()).isEmpty();
      h.prepareSnapshotPreBarrier(1);
      assertThat(ids(h)).containsExactly("f0", "f1");
      snapshot = h.snapshot(1, 1);
    }
    try (var restored = harness("barrier-restored", 10, 50)) {
      restored.initializeState(snapshot);
      restored.open();
      restored.setProcessingTime(10_000);
      assertThat(restored.extractOutputValues()).isEmpty(); // nothing scored twice
      assertThat(BATCHES.get("barrier-restored")).isEmpty();
    }
  }

  @Test
  void keepsBufferedFramesInStateAndScoresThemAfterARestore() throws Exception {
    OperatorSubtaskState snapshot;
    try (var h = harness("state", 10, 10_000)) {
      h.open();
      h.processElement(frame(0, 10));
      h.processElement(frame(1, 20));
      snapshot =
          h.snapshot(1, 1); // a snapshot without the pre-barrier flush: the buffer goes into state
      assertThat(h.extractOutputValues()).isEmpty();
    }
    try (var restored = harness("state-restored", 10, 50)) {
      restored.setProcessingTime(0);
      restored.initializeState(snapshot);
      restored.open();
      restored.setProcessingTime(50);
      assertThat(ids(restored)).containsExactly("f0", "f1");
      assertThat(BATCHES.get("state-restored")).containsExactly(2);
    }
  }

  /**
   * The heap a batch of the largest admitted frames takes is known from the limits, and a task
   * manager too small for it is told so at start, naming the keys.
   */
  @Test
  void aBatchOfTheLargestFramesIsBudgetedAgainstTheHeap() {
    FrameLimits twelveMp = new FrameLimits(16 << 20, 8192, 4000L * 3000, null, true);
    long bytes = FrameHeap.batchBytes(twelveMp, 8);
    // 8 x (payload + RGB floats), and one frame's stitched map and tile batch on top
    long held = 8 * ((16L << 20) + 12L * 4000 * 3000);
    assertThat(bytes).isBetween(held + 8L * 4000 * 3000, held + 8L * 4000 * 3000 + (48L << 20));
    BatchingInferenceOperator op =
        new BatchingInferenceOperator(new ScriptedDetector("heap", 0.5), twelveMp, 8, 10, true);
    assertThat(op.reportFrameHeap(8, 1L << 30)).as("1 GiB heap").isTrue();
    assertThat(op.reportFrameHeap(8, 8L << 30)).as("8 GiB heap").isFalse();
    assertThat(op.reportFrameHeap(1, 1L << 30)).as("batches of one frame in 1 GiB").isFalse();
  }

  /** Frames above limits.max-pixels are refused from the record, before any pixel is decoded. */
  @Test
  void framesAboveTheMaxPixelsAreDeadLettered() throws Exception {
    FrameLimits small = new FrameLimits(1 << 20, 8192, 100L * 100, null, true);
    io.tailwatch.flink.ingest.FramePayloads payloads =
        new io.tailwatch.flink.ingest.FramePayloads(small);
    CameraFrame wide =
        TestFrames.builder("wide", 200, 60)
            .setPayload(java.nio.ByteBuffer.wrap(new byte[200 * 60]))
            .build();
    assertThatThrownBy(() -> payloads.validate(wide))
        .isInstanceOf(io.tailwatch.flink.ingest.FrameRejectedException.class)
        .hasMessage("width x height = 200x60 = 12000 pixels exceeds limits.max-pixels = 10000");
    payloads.validate(TestFrames.raw("ok", 100, 7));
  }

  @Test
  void alertsAboveTheThresholdWithRegionsAndHeatmap() throws Exception {
    try (var h = harness("alerts", 2, 10_000)) {
      h.open();
      h.processElement(frame(0, 25)); // mean 0.098: normal
      h.processElement(frame(1, 200)); // mean 0.78 > 0.5: anomaly
      List<FrameScore> scores = h.extractOutputValues();
      assertThat(scores).extracting(FrameScore::getAnomalous).containsExactly(false, true);
      assertThat(scores.get(1).getScore())
          .isEqualTo(200 / 255.0, org.assertj.core.api.Assertions.within(1e-6));
      List<Alert> alerts =
          h.getSideOutput(BatchingInferenceOperator.ALERTS).stream()
              .map(StreamRecord::getValue)
              .toList();
      assertThat(alerts).hasSize(1);
      Alert a = alerts.get(0);
      assertThat(a.getFrameId()).isEqualTo("f1");
      assertThat(a.getThreshold()).isEqualTo(0.5);
      assertThat(a.getBankVersion()).isEqualTo("bank-1");
      assertThat(a.getRegions()).hasSize(1); // the whole 8x8 frame is above the threshold
      assertThat(a.getRegions().get(0).getWidth()).isEqualTo(8);
      assertThat(a.getHeatmapPng()).isNotNull();
      byte[] png = new byte[a.getHeatmapPng().remaining()];
      a.getHeatmapPng().duplicate().get(png);
      java.awt.image.BufferedImage heatmap =
          javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(png));
      assertThat(heatmap.getWidth()).isEqualTo(8);
      // the default heatmap is the map itself in 8-bit gray: its levels read back as map values
      assertThat(a.getHeatmapFormat().toString()).isEqualTo("map");
      assertThat(heatmap.getRaster().getNumBands()).isEqualTo(1);
      double low = a.getHeatmapLow();
      double high = a.getHeatmapHigh();
      double value = low + heatmap.getRaster().getSample(4, 4, 0) / 255.0 * (high - low);
      assertThat(value)
          .isCloseTo(
              Math.min(high, 200 / 255.0),
              org.assertj.core.api.Assertions.within((high - low) / 255 + 1e-6));
    }
    // the overlay, on request: jet colours over the frame, RGB
    try (var h =
        new OneInputStreamOperatorTestHarness<>(
            new BatchingInferenceOperator(new ScriptedDetector("ov", 0.5), LIMITS, 1, 10_000, true)
                .withHeatmapFormat(HeatmapFormat.OVERLAY))) {
      h.open();
      h.processElement(frame(1, 200));
      Alert a = h.getSideOutput(BatchingInferenceOperator.ALERTS).peek().getValue();
      assertThat(a.getHeatmapFormat().toString()).isEqualTo("overlay");
      byte[] png = new byte[a.getHeatmapPng().remaining()];
      a.getHeatmapPng().duplicate().get(png);
      assertThat(
              javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(png))
                  .getRaster()
                  .getNumBands())
          .isEqualTo(3);
    }
  }

  /**
   * alerts.heatmap.full-resolution: the map at the frame's size, written under the claim-check root
   * and named in the alert with its digest; a write that fails leaves the alert without it.
   */
  @Test
  void fullResolutionMapsAreWrittenBesideTheClaimChecks(@org.junit.jupiter.api.io.TempDir Path root)
      throws Exception {
    try (var h =
        new OneInputStreamOperatorTestHarness<>(
            new BatchingInferenceOperator(
                    new ScriptedDetector("full", 0.5), LIMITS, 1, 10_000, true)
                .withFullResolutionHeatmaps(root.toString()))) {
      h.open();
      h.processElement(frame(1, 200));
      Alert a = h.getSideOutput(BatchingInferenceOperator.ALERTS).peek().getValue();
      Path file = Path.of(java.net.URI.create(a.getHeatmapFullUri().toString()));
      assertThat(file.getParent()).isEqualTo(root.resolve("heatmaps"));
      byte[] png = java.nio.file.Files.readAllBytes(file);
      assertThat(a.getHeatmapFullSha256().toString())
          .isEqualTo(io.tailwatch.flink.ingest.ClaimChecks.sha256Hex(png));
      java.awt.image.BufferedImage map =
          javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(png));
      assertThat(map.getWidth()).isEqualTo(a.getFrameWidth());
      assertThat(map.getHeight()).isEqualTo(a.getFrameHeight());
      assertThat(map.getColorModel().getComponentSize(0)).isEqualTo(16);
    }
    // the root is a file: nothing can be written under it, the alert still goes out
    Path notAFolder = java.nio.file.Files.writeString(root.resolve("file"), "x");
    try (var h =
        new OneInputStreamOperatorTestHarness<>(
            new BatchingInferenceOperator(
                    new ScriptedDetector("full2", 0.5), LIMITS, 1, 10_000, true)
                .withFullResolutionHeatmaps(notAFolder.toString()))) {
      h.open();
      h.processElement(frame(1, 200));
      Alert a = h.getSideOutput(BatchingInferenceOperator.ALERTS).peek().getValue();
      assertThat(a.getHeatmapFullUri()).isNull();
      assertThat(a.getHeatmapPng()).isNotNull();
    }
  }

  /**
   * A frame larger than alerts.heatmap.max-side gets a scaled-down heatmap (aspect kept) while its
   * regions stay in frame pixels and the alert says the frame's size: alerts stay small whatever
   * the camera.
   */
  @Test
  void theHeatmapOfALargeFrameIsScaledDownAndItsRegionsStayInFramePixels() throws Exception {
    try (var h =
        new OneInputStreamOperatorTestHarness<>(
            new BatchingInferenceOperator(new ScriptedDetector("big", 0.5), LIMITS, 1, 10_000, true)
                .withHeatmapMaxSide(64))) {
      h.open();
      CameraFrame big = TestFrames.raw("big", 1000, 200);
      big.setHeight(600);
      big.setPayload(
          java.nio.ByteBuffer.wrap(java.util.Arrays.copyOf(big.getPayload().array(), 600_000)));
      h.processElement(new StreamRecord<>(TestFrames.ingested(big, 0)));
      Alert a = h.getSideOutput(BatchingInferenceOperator.ALERTS).peek().getValue();
      assertThat(a.getFrameWidth()).isEqualTo(1000);
      assertThat(a.getFrameHeight()).isEqualTo(600);
      assertThat(a.getRegions().get(0).getWidth()).isEqualTo(1000);
      assertThat(a.getRegions().get(0).getHeight()).isEqualTo(600);
      byte[] png = new byte[a.getHeatmapPng().remaining()];
      a.getHeatmapPng().duplicate().get(png);
      java.awt.image.BufferedImage image =
          javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(png));
      assertThat(image.getWidth()).isEqualTo(64);
      assertThat(image.getHeight()).isEqualTo(38);
      assertThat(a.getHeatmapLow()).isLessThan(a.getHeatmapHigh());
    }
    assertThatThrownBy(
            () ->
                new BatchingInferenceOperator(new ScriptedDetector("x", 0.5), LIMITS, 1, 10, true)
                    .withHeatmapMaxSide(8))
        .hasMessageContaining("alerts.heatmap.max-side must be at least 16, was 8");
  }

  @Test
  void aDetectorThatCannotStartFailsTheJobWithoutRestarts() throws Exception {
    DetectorFactory cudaMissing =
        () -> {
          throw new IllegalStateException(
              "backbone: device=cuda was requested but CUDA cannot be used: no libcudart");
        };
    try (var h =
        new OneInputStreamOperatorTestHarness<Ingested, FrameScore>(
            new BatchingInferenceOperator(cudaMissing, LIMITS, 4, 10, true))) {
      org.assertj.core.api.Assertions.assertThatThrownBy(h::open)
          .isInstanceOf(org.apache.flink.runtime.execution.SuppressRestartsException.class)
          .hasStackTraceContaining("device=cuda was requested");
    }
  }

  @Test
  void deadLettersUndecodableFramesAndFramesThatFailAlone() throws Exception {
    try (var h = harness("failures", 4, 10_000)) {
      h.open();
      h.processElement(frame(0, 10));
      h.processElement(
          frame(1, 255)); // makes the detector throw: the batch is retried frame by frame
      // RAW payload with the wrong length slipped past ingest (e.g. an older job version): dead
      // letter, not a crash
      h.processElement(
          new StreamRecord<>(
              TestFrames.ingested(
                  TestFrames.builder("f2", 8, 8).setPayload(ByteBuffer.wrap(new byte[10])).build(),
                  2)));
      h.processElement(frame(3, 10));
      assertThat(ids(h)).containsExactly("f0", "f3");
      List<DeadLetter> dead =
          h.getSideOutput(IngestRouter.DEAD_LETTERS).stream().map(StreamRecord::getValue).toList();
      assertThat(dead)
          .extracting(DeadLetter::getReasonCode)
          .containsExactlyInAnyOrder(
              DeadLetterReason.UNDECODABLE, DeadLetterReason.INFERENCE_FAILED);
      assertThat(dead).extracting(DeadLetter::getOriginOffset).containsExactlyInAnyOrder(1L, 2L);
      assertThat(dead).allSatisfy(d -> assertThat(d.getRawValue()).isNotNull());
      assertThat(dead)
          .allSatisfy(d -> assertThat(d.getKey()).isEqualTo(ByteBuffer.wrap("k".getBytes())));
      assertThat(BATCHES.get("failures")).containsExactly(3, 1, 1, 1);
    }
  }
}
