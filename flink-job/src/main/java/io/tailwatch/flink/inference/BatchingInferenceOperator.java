package io.tailwatch.flink.inference;

import io.tailwatch.detector.bank.BankFormatException;
import io.tailwatch.detector.image.FloatImage;
import io.tailwatch.detector.scoring.Detection;
import io.tailwatch.flink.ingest.DeadLetters;
import io.tailwatch.flink.ingest.FrameLimits;
import io.tailwatch.flink.ingest.FramePayloads;
import io.tailwatch.flink.ingest.FrameRejectedException;
import io.tailwatch.flink.ingest.IngestRouter;
import io.tailwatch.flink.ingest.Ingested;
import io.tailwatch.schemas.Alert;
import io.tailwatch.schemas.AvroSerdes;
import io.tailwatch.schemas.CameraFrame;
import io.tailwatch.schemas.DeadLetterReason;
import io.tailwatch.schemas.FrameScore;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import org.apache.flink.api.common.operators.ProcessingTimeService.ProcessingTimeCallback;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MeterView;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.execution.SuppressRestartsException;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.util.OutputTag;

/**
 * Collects frames into batches of up to {@code maxBatch}, or for at most {@code maxWaitMs} after the first frame
 * of a batch (processing-time timer), and runs the detector on each batch. Emits a {@link FrameScore} per frame on
 * the main output, an {@link Alert} per anomalous frame on {@link #ALERTS}, and a dead letter per frame that
 * cannot be decoded or scored on {@link IngestRouter#DEAD_LETTERS}.
 *
 * <p>Exactly once: the buffer is flushed in {@link #prepareSnapshotPreBarrier}, so every frame before a barrier
 * is scored and emitted before it; what is still buffered when a snapshot is taken without that flush is kept in
 * operator state and rescored after a restore, never dropped.
 */
public final class BatchingInferenceOperator extends AbstractStreamOperator<FrameScore>
    implements OneInputStreamOperator<Ingested, FrameScore>, ProcessingTimeCallback {
  private static final long serialVersionUID = 1L;
  public static final OutputTag<Alert> ALERTS = new OutputTag<>("alerts") {};

  private final DetectorFactory factory;
  private final FrameLimits limits;
  private final int maxBatch;
  private final long maxWaitMs;
  private final boolean heatmaps;

  private transient List<Pending> buffer;
  private transient ScheduledFuture<?> timer;
  private transient ListState<Ingested> bufferState;
  private transient FrameDetector detector;
  private transient FramePayloads payloads;
  private transient AvroSerdes<CameraFrame> serdes;
  private transient InferenceMetrics metrics;

  public BatchingInferenceOperator(DetectorFactory factory, FrameLimits limits, int maxBatch, long maxWaitMs,
      boolean heatmaps) {
    if (maxBatch < 1) {
      throw new IllegalArgumentException("batch.max-size must be at least 1, was " + maxBatch);
    }
    if (maxWaitMs < 0) {
      throw new IllegalArgumentException("batch.max-wait must not be negative, was " + maxWaitMs + " ms");
    }
    this.factory = factory;
    this.limits = limits;
    this.maxBatch = maxBatch;
    this.maxWaitMs = maxWaitMs;
    this.heatmaps = heatmaps;
  }

  private record Pending(Ingested in, long arrivedMs) {}

  @Override
  public void initializeState(StateInitializationContext context) throws Exception {
    super.initializeState(context);
    buffer = new ArrayList<>();
    bufferState = context.getOperatorStateStore().getListState(
        new ListStateDescriptor<>("buffered-frames", TypeInformation.of(Ingested.class)));
    if (context.isRestored()) {
      for (Ingested in : bufferState.get()) {
        buffer.add(new Pending(in, System.currentTimeMillis()));
      }
    }
  }

  @Override
  public void open() throws Exception {
    super.open();
    payloads = new FramePayloads(limits);
    serdes = AvroSerdes.forType(CameraFrame.class);
    try {
      detector = factory.open();
    } catch (IllegalArgumentException | IllegalStateException | BankFormatException e) {
      // wrong configuration (CUDA requested but unavailable, bank/backbone mismatch, corrupt bank): restarting
      // cannot fix it, so fail the job once with the cause instead of crash-looping through the restart strategy
      throw new SuppressRestartsException(new IllegalStateException("inference operator cannot start: "
          + e.getMessage(), e));
    }
    metrics = new InferenceMetrics(getMetricGroup(), detector);
    LOG.info("inference operator {}: model {}, bank {}, threshold {}, provider {}, batch <= {} / {} ms",
        getRuntimeContext().getTaskInfo().getTaskNameWithSubtasks(), detector.modelVersion(),
        detector.bankVersion(), detector.threshold(), detector.executionProvider(), maxBatch, maxWaitMs);
    if (detector.fellBackToCpu()) {
      // also the cudaFallback metric; the detector logged the cause when it opened the session
      LOG.info("device auto: this session runs on CPU: {}", detector.executionProvider());
    }
    if (!buffer.isEmpty()) {
      LOG.info("rescoring {} frames restored from state", buffer.size());
      scheduleFlush();
    }
  }

  @Override
  public void processElement(StreamRecord<Ingested> element) throws Exception {
    buffer.add(new Pending(element.getValue(), getProcessingTimeService().getCurrentProcessingTime()));
    if (buffer.size() >= maxBatch) {
      flush();
    } else if (timer == null) {
      scheduleFlush();
    }
  }

  private void scheduleFlush() {
    ProcessingTimeCallback callback = this;
    timer = getProcessingTimeService().registerTimer(
        getProcessingTimeService().getCurrentProcessingTime() + maxWaitMs, callback);
  }

  @Override
  public void onProcessingTime(long time) throws Exception {
    timer = null;
    flush();
  }

  @Override
  public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
    super.prepareSnapshotPreBarrier(checkpointId);
    flush();
  }

  @Override
  public void snapshotState(StateSnapshotContext context) throws Exception {
    super.snapshotState(context);
    List<Ingested> pending = new ArrayList<>(buffer.size());
    for (Pending p : buffer) {
      pending.add(p.in());
    }
    bufferState.update(pending);
  }

  @Override
  public void finish() throws Exception {
    flush();
    super.finish();
  }

  @Override
  public void close() throws Exception {
    try {
      if (timer != null) {
        timer.cancel(false);
      }
      if (detector != null) {
        detector.close();
      }
    } finally {
      super.close();
    }
  }

  /** Number of frames waiting for the next batch (tests). */
  int buffered() {
    return buffer.size();
  }

  private void flush() throws Exception {
    if (timer != null) {
      timer.cancel(false);
      timer = null;
    }
    if (buffer.isEmpty()) {
      return;
    }
    List<Pending> batch = buffer;
    buffer = new ArrayList<>();
    long start = getProcessingTimeService().getCurrentProcessingTime();
    List<Pending> decodedFrames = new ArrayList<>(batch.size());
    List<FloatImage> images = new ArrayList<>(batch.size());
    for (Pending p : batch) {
      metrics.queueWait(start - p.arrivedMs());
      try {
        images.add(payloads.decode(p.in().frame));
        decodedFrames.add(p);
      } catch (FrameRejectedException e) {
        deadLetter(p.in(), e.reason(), e.getMessage());
      }
    }
    if (images.isEmpty()) {
      return;
    }
    List<Detection> detections;
    long t0 = System.nanoTime();
    try {
      detections = detector.detect(images);
      metrics.batch(images.size(), (System.nanoTime() - t0) / 1_000_000);
    } catch (Exception e) {
      // one bad frame must not take its batch down: score them one by one and dead-letter what still fails
      LOG.warn("batch of {} failed ({}); retrying frame by frame", images.size(), e.toString());
      detections = new ArrayList<>(images.size());
      for (int i = 0; i < images.size(); i++) {
        try {
          detections.add(detector.detect(List.of(images.get(i))).get(0));
        } catch (Exception single) {
          detections.add(null);
          deadLetter(decodedFrames.get(i).in(), DeadLetterReason.INFERENCE_FAILED, "inference failed: " + single);
        }
      }
    }
    long now = getProcessingTimeService().getCurrentProcessingTime();
    for (int i = 0; i < decodedFrames.size(); i++) {
      Detection d = detections.get(i);
      if (d == null) {
        continue;
      }
      CameraFrame frame = decodedFrames.get(i).in().frame;
      FrameScore score = Verdicts.score(frame, d, detector, now);
      output.collect(new StreamRecord<>(score));
      metrics.frameOut(score);
      if (score.getAnomalous()) {
        output.collect(ALERTS, new StreamRecord<>(Verdicts.alert(frame, images.get(i), d, detector, now, heatmaps)));
        metrics.alert();
      }
    }
  }

  private void deadLetter(Ingested in, DeadLetterReason reason, String message) {
    byte[] raw = serdes.encode(in.frame);
    output.collect(IngestRouter.DEAD_LETTERS, new StreamRecord<>(DeadLetters.of(in.topic, in.partition, in.offset,
        in.key, reason, message, raw, getProcessingTimeService().getCurrentProcessingTime())));
    metrics.deadLetter();
  }

  /** Distinct line ids that get their own metric group; senders choose line ids, so their number is capped. */
  static final int MAX_LINE_GROUPS = 256;

  /** The operator's metrics; names are documented in the README. */
  static final class InferenceMetrics {
    private final Counter framesOut;
    private final Counter alerts;
    private final Counter deadLetters;
    private final Histogram batchSize;
    private final Histogram inferenceLatency;
    private final Histogram queueWait;
    private final Histogram endToEndLatency;
    private final LineMetrics lines;

    InferenceMetrics(MetricGroup group, FrameDetector detector) {
      framesOut = group.counter("framesOut");
      group.meter("framesOutPerSecond", new MeterView(framesOut));
      alerts = group.counter("alerts");
      deadLetters = group.counter("inferenceDeadLetters");
      batchSize = group.histogram("batchSize", new DescriptiveStatisticsHistogram(1000));
      inferenceLatency = group.histogram("inferenceLatencyMs", new DescriptiveStatisticsHistogram(1000));
      queueWait = group.histogram("queueWaitMs", new DescriptiveStatisticsHistogram(1000));
      endToEndLatency = group.histogram("endToEndLatencyMs", new DescriptiveStatisticsHistogram(1000));
      String provider = detector.executionProvider();
      group.gauge("executionProvider", () -> provider);
      int fellBack = detector.fellBackToCpu() ? 1 : 0;
      group.gauge("cudaFallback", () -> fellBack);
      // the versions as labels (Prometheus drops string gauges): bank="<version>", model="<version>"
      group.addGroup("bank", detector.bankVersion()).addGroup("model", detector.modelVersion())
          .gauge("detectorLoaded", () -> 1);
      lines = new LineMetrics(group, MAX_LINE_GROUPS);
    }

    void queueWait(long ms) {
      queueWait.update(ms);
    }

    void batch(int size, long ms) {
      batchSize.update(size);
      inferenceLatency.update(ms);
    }

    void frameOut(FrameScore score) {
      framesOut.inc();
      endToEndLatency.update(score.getLatencyMs());
      lines.of(score.getLineId()).frame(score);
    }

    void alert() {
      alerts.inc();
    }

    void deadLetter() {
      deadLetters.inc();
    }
  }
}
