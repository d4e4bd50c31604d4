package io.tailwatch.flink.inference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tailwatch.detector.image.FloatImage;
import io.tailwatch.detector.scoring.Detection;
import io.tailwatch.flink.ingest.FrameLimits;
import io.tailwatch.flink.ingest.IngestRouter;
import io.tailwatch.flink.ingest.Ingested;
import io.tailwatch.flink.testing.TestFrames;
import io.tailwatch.schemas.CameraFrame;
import io.tailwatch.schemas.DeadLetter;
import io.tailwatch.schemas.DeadLetterReason;
import java.nio.ByteBuffer;
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
 * The inference stage: batching, timers, the worker thread and its bounded queue, checkpoint flush,
 * state restore and dead letters, with a scripted detector whose score is the frame's mean pixel
 * value (0..1) and whose map is that value at 8x8, so outputs are predictable.
 */
public class InferenceOperatorTest {
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

  public static final FrameLimits LIMITS = new FrameLimits(1 << 20, 1024, null);

  static OneInputStreamOperatorTestHarness<Ingested, ScoredFrame> harness(
      String key, int maxBatch, long waitMs) throws Exception {
    return new OneInputStreamOperatorTestHarness<>(
        new InferenceOperator(new ScriptedDetector(key, 0.5), LIMITS, maxBatch, waitMs));
  }

  public static StreamRecord<Ingested> frame(int i, int value) {
    return new StreamRecord<>(TestFrames.ingested(TestFrames.raw("f" + i, 8, value), i));
  }

  static List<String> ids(OneInputStreamOperatorTestHarness<Ingested, ScoredFrame> h) {
    return h.extractOutputValues().stream().map(s -> s.frame.getFrameId()).toList();
  }

  static InferenceOperator op(OneInputStreamOperatorTestHarness<Ingested, ScoredFrame> h) {
    return (InferenceOperator) h.getOperator();
  }

  @Test
  void runsABatchWhenItIsFull() throws Exception {
    try (var h = harness("size", 3, 10_000)) {
      h.open();
      for (int i = 0; i < 7; i++) {
        h.processElement(frame(i, 10));
      }
      op(h).awaitInFlight(); // the batches run on the worker; wait for them here
      assertThat(BATCHES.get("size")).containsExactly(3, 3);
      assertThat(ids(h)).containsExactly("f0", "f1", "f2", "f3", "f4", "f5");
      assertThat(op(h).buffered()).isEqualTo(1);
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
      op(h).awaitInFlight();
      assertThat(BATCHES.get("time")).containsExactly(2);
      assertThat(ids(h)).containsExactly("f0", "f1");
      // the next frame starts a new wait
      h.processElement(frame(2, 10));
      h.setProcessingTime(1_099);
      op(h).awaitInFlight();
      assertThat(BATCHES.get("time")).containsExactly(2);
      h.setProcessingTime(1_100);
      op(h).awaitInFlight();
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
      op(restored).awaitInFlight();
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
    InferenceOperator op =
        new InferenceOperator(new ScriptedDetector("heap", 0.5), twelveMp, 8, 10);
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
  void aDetectorThatCannotStartFailsTheJobWithoutRestarts() throws Exception {
    DetectorFactory cudaMissing =
        () -> {
          throw new IllegalStateException(
              "backbone: device=cuda was requested but CUDA cannot be used: no libcudart");
        };
    try (var h =
        new OneInputStreamOperatorTestHarness<Ingested, ScoredFrame>(
            new InferenceOperator(cudaMissing, LIMITS, 4, 10))) {
      org.assertj.core.api.Assertions.assertThatThrownBy(h::open)
          .isInstanceOf(org.apache.flink.runtime.execution.SuppressRestartsException.class)
          .hasStackTraceContaining("device=cuda was requested");
    }
  }

  /**
   * inference.cuda.device-ids: each subtask opens its detector with its own device current (subtask
   * i takes id[i mod count]), and the device is only current while the detector opens.
   */
  @Test
  void eachSubtaskOpensItsDetectorOnItsCudaDevice() throws Exception {
    for (int subtask = 0; subtask < 3; subtask++) {
      int[] seen = {-1};
      DetectorFactory recording =
          () -> {
            seen[0] = io.tailwatch.detector.onnx.OrtSessions.cudaDevice();
            return new ScriptedDetector("cuda", 0.5).open();
          };
      try (var h =
          new OneInputStreamOperatorTestHarness<Ingested, ScoredFrame>(
              new InferenceOperator(recording, LIMITS, 4, 10).withCudaDevices(new int[] {3, 5}),
              3,
              3,
              subtask)) {
        h.open();
        assertThat(seen[0]).as("subtask %d", subtask).isEqualTo(subtask % 2 == 0 ? 3 : 5);
        assertThat(io.tailwatch.detector.onnx.OrtSessions.cudaDevice()).isZero();
      }
    }
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () ->
                new InferenceOperator(new ScriptedDetector("x", 0.5), LIMITS, 4, 10)
                    .withCudaDevices(new int[] {0, -1}))
        .hasMessageContaining("inference.cuda.device-ids must be >= 0");
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
      op(h).awaitInFlight();
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

  /**
   * The detector runs on the operator's worker: a full batch does not hold the task thread, which
   * keeps taking frames and firing timers; past max-in-flight batches it waits for the oldest
   * (backpressure), and results leave in submission order.
   */
  @Test
  void batchesRunOffTheTaskThreadWithABoundedQueue() throws Exception {
    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    List<String> threads = new CopyOnWriteArrayList<>();
    DetectorFactory blocking =
        () ->
            new TestDetector(0.5, "m", "b") {
              @Override
              public List<Detection> detect(List<FloatImage> images) throws Exception {
                threads.add(Thread.currentThread().getName());
                release.await();
                List<Detection> out = new ArrayList<>();
                for (FloatImage i : images) {
                  out.add(new Detection(0.1, new float[] {0.1f}, 1, 1, new float[64], 8));
                }
                return out;
              }
            };
    try (var h =
        new OneInputStreamOperatorTestHarness<Ingested, ScoredFrame>(
            new InferenceOperator(blocking, LIMITS, 2, 50).withMaxInFlight(2))) {
      h.setProcessingTime(0);
      h.open();
      h.processElement(frame(0, 10));
      h.processElement(frame(1, 10)); // a full batch: submitted, the detector blocks on the worker
      h.processElement(frame(2, 10));
      h.setProcessingTime(50); // the timer still fires: the partial batch is queued behind it
      assertThat(op(h).inFlight()).isEqualTo(2);
      assertThat(op(h).buffered()).isZero();
      assertThat(h.extractOutputValues()).isEmpty();
      // a third batch finds the queue full: the task thread waits until the first is done
      Thread taskThread =
          new Thread(
              () -> {
                try {
                  h.processElement(frame(3, 10));
                  h.processElement(frame(4, 10));
                } catch (Exception e) {
                  throw new RuntimeException(e);
                }
              });
      taskThread.start();
      taskThread.join(300);
      assertThat(taskThread.isAlive()).as("backpressured while the queue is full").isTrue();
      release.countDown();
      taskThread.join(10_000);
      assertThat(taskThread.isAlive()).isFalse();
      h.prepareSnapshotPreBarrier(1);
      assertThat(ids(h)).containsExactly("f0", "f1", "f2", "f3", "f4");
      assertThat(threads).allSatisfy(t -> assertThat(t).startsWith("tailwatch-inference"));
      assertThat(op(h).inFlight()).isZero();
    }
  }

  /**
   * A scored frame carries what the next stages need and no more: score, map, versions, the bank's
   * threshold and calibration, and candidate patches only with bank updates; the pixels only when
   * the renderer draws over them.
   */
  @Test
  void scoredFramesCarryTheMapAndVersionsAndDropThePixels() throws Exception {
    try (var h = harness("carry", 1, 10_000)) {
      h.open();
      h.processElement(frame(0, 51));
      h.prepareSnapshotPreBarrier(1);
      ScoredFrame s = h.extractOutputValues().get(0);
      assertThat(s.score).isCloseTo(0.2, org.assertj.core.api.Assertions.within(1e-6));
      assertThat(s.mapSize).isEqualTo(8);
      assertThat(s.map).hasSize(64);
      assertThat(s.bankVersion).isEqualTo("bank-1");
      assertThat(s.modelVersion).isEqualTo("scripted");
      assertThat(s.bankThreshold).isEqualTo(0.5);
      assertThat(s.frameWidth).isEqualTo(8);
      assertThat(s.frame.getPayload().remaining()).as("pixels dropped").isZero();
      assertThat(s.hasCandidates()).isFalse();
      assertThat(s.offset).isZero();
    }
    DetectorFactory withFeatures =
        () ->
            new TestDetector(0.5, "m", "b") {
              @Override
              public List<Detection> detect(List<FloatImage> images) {
                return List.of(
                    new Detection(
                        0.3,
                        new float[] {0.1f, 0.3f},
                        1,
                        2,
                        new float[64],
                        8,
                        new float[] {1, 2, 3, 4},
                        0,
                        2));
              }
            };
    try (var h =
        new OneInputStreamOperatorTestHarness<Ingested, ScoredFrame>(
            new InferenceOperator(withFeatures, LIMITS, 1, 10)
                .withBankCandidates(1)
                .withPixels(true))) {
      h.open();
      h.processElement(frame(0, 51));
      h.prepareSnapshotPreBarrier(1);
      ScoredFrame s = h.extractOutputValues().get(0);
      assertThat(s.frame.getPayload().remaining()).as("pixels kept").isEqualTo(64);
      assertThat(s.candidateCount).isEqualTo(1);
      assertThat(s.candidateVectors).containsExactly(3, 4); // the patch with the highest score
      assertThat(s.candidateDistances).containsExactly(0.3f);
    }
  }
}
