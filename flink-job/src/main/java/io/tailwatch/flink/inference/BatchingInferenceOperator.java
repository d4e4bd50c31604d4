package io.tailwatch.flink.inference;

import io.tailwatch.detector.bank.BankFormatException;
import io.tailwatch.detector.image.FloatImage;
import io.tailwatch.detector.online.OnlineDecision;
import io.tailwatch.detector.online.OnlineScoreStatistics;
import io.tailwatch.detector.online.WeightedReservoir;
import io.tailwatch.detector.scoring.Detection;
import io.tailwatch.flink.adapt.Adaptation;
import io.tailwatch.flink.adapt.BankCandidate;
import io.tailwatch.flink.adapt.BankRef;
import io.tailwatch.flink.adapt.ScopeKey;
import io.tailwatch.flink.ingest.DeadLetters;
import io.tailwatch.flink.ingest.FrameLimits;
import io.tailwatch.flink.ingest.FramePayloads;
import io.tailwatch.flink.ingest.FrameRejectedException;
import io.tailwatch.flink.ingest.IngestRouter;
import io.tailwatch.flink.ingest.Ingested;
import io.tailwatch.schemas.Alert;
import io.tailwatch.schemas.AvroSerdes;
import io.tailwatch.schemas.BankUpdate;
import io.tailwatch.schemas.CameraFrame;
import io.tailwatch.schemas.DeadLetterReason;
import io.tailwatch.schemas.FrameScore;
import io.tailwatch.schemas.Modality;
import io.tailwatch.schemas.ScoreStatistics;
import java.net.URI;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledFuture;
import org.apache.flink.api.common.operators.ProcessingTimeService.ProcessingTimeCallback;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MeterView;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.execution.SuppressRestartsException;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;
import org.apache.flink.runtime.state.KeyGroupRangeAssignment;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.operators.TwoInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.util.OutputTag;

/**
 * Collects frames into batches of up to {@code maxBatch}, or for at most {@code maxWaitMs} after
 * the first frame of a batch (processing-time timer), and runs the detector on each batch. Emits a
 * {@link FrameScore} per frame on the main output, an {@link Alert} per anomalous frame on {@link
 * #ALERTS}, and a dead letter per frame that cannot be decoded or scored on {@link
 * IngestRouter#DEAD_LETTERS}.
 *
 * <p>Exactly once: the buffer is flushed in {@link #prepareSnapshotPreBarrier}, so every frame
 * before a barrier is scored and emitted before it; what is still buffered when a snapshot is taken
 * without that flush is kept in operator state and rescored after a restore, never dropped.
 *
 * <p>Online adaptation (ALGORITHMS.md §6; on a keyed stream, key = {@link ScopeKey}): each scope's
 * {@link OnlineScoreStatistics} live in keyed state, so the threshold a frame is judged by is the
 * one its scope has reached, with no feedback loop through Kafka. Normal frames are offered to a
 * weighted reservoir of bank-update candidates, handed over on {@link #CANDIDATES} every update
 * interval. The second input (broadcast bank announcements) swaps the bank between batches: frames
 * buffered before an announcement are scored with the old bank, later ones with the new; a bank
 * that fails its checks is refused and the old one kept. Used on a non-keyed stream (tests), it
 * keeps no statistics and judges by the detector's fixed threshold.
 */
public final class BatchingInferenceOperator extends AbstractStreamOperator<FrameScore>
    implements OneInputStreamOperator<Ingested, FrameScore>,
        TwoInputStreamOperator<Ingested, BankUpdate, FrameScore>,
        ProcessingTimeCallback {
  private static final long serialVersionUID = 1L;
  public static final OutputTag<Alert> ALERTS = new OutputTag<>("alerts") {};
  public static final OutputTag<BankCandidate> CANDIDATES = new OutputTag<>("bank-candidates") {};
  public static final OutputTag<ScoreStatistics> STATISTICS =
      new OutputTag<>("score-statistics") {};

  private final DetectorFactory factory;
  private final FrameLimits limits;
  private final int maxBatch;
  private final long maxWaitMs;
  private final boolean heatmaps;
  private int heatmapMaxSide = DEFAULT_HEATMAP_MAX_SIDE;

  /** Longer side of alert heatmaps unless configured (alerts.heatmap.max-side's default). */
  public static final int DEFAULT_HEATMAP_MAX_SIDE = 256;

  private final Adaptation adaptation;

  private transient List<Pending> buffer;
  private transient ValueState<byte[]> statisticsState;
  private transient Map<String, Scope> scopes;
  private transient WeightedReservoir<BankCandidate> reservoir;
  private transient ListState<BankCandidate> reservoirState;
  private transient ListState<BankRef> bankState;
  private boolean bankAnnouncements;
  private transient BankRef
      currentBank; // the last announced bank swapped in (null: the configured one)
  private transient ScheduledFuture<?> timer;
  private transient ListState<Ingested> bufferState;
  private transient FrameDetector detector;
  private transient FramePayloads payloads;
  private transient AvroSerdes<CameraFrame> serdes;
  private transient InferenceMetrics metrics;

  public BatchingInferenceOperator(
      DetectorFactory factory, FrameLimits limits, int maxBatch, long maxWaitMs, boolean heatmaps) {
    this(factory, limits, maxBatch, maxWaitMs, heatmaps, Adaptation.off());
  }

  public BatchingInferenceOperator(
      DetectorFactory factory,
      FrameLimits limits,
      int maxBatch,
      long maxWaitMs,
      boolean heatmaps,
      Adaptation adaptation) {
    if (maxBatch < 1) {
      throw new IllegalArgumentException("batch.max-size must be at least 1, was " + maxBatch);
    }
    if (maxWaitMs < 0) {
      throw new IllegalArgumentException(
          "batch.max-wait must not be negative, was " + maxWaitMs + " ms");
    }
    this.factory = factory;
    this.limits = limits;
    this.maxBatch = maxBatch;
    this.maxWaitMs = maxWaitMs;
    this.heatmaps = heatmaps;
    this.adaptation = adaptation;
  }

  /**
   * This operator receives bank announcements (the job has a control topic): only then does it keep
   * the bank in use in union operator state. Union state is never registered otherwise, because a
   * bounded job whose vertex holds union state cannot checkpoint once some of its subtasks have
   * finished (Flink declines those checkpoints with PartialFinishingNotSupportedByStateException).
   */
  private HeatmapFormat heatmapFormat = HeatmapFormat.MAP;

  /** Where full-resolution maps go (claim-check.root), or null: not written. */
  private String fullResolutionRoot;

  private transient FullResolutionHeatmaps fullHeatmaps;

  /**
   * Also write each alert's map at the frame's resolution under {@code claimCheckRoot}/heatmaps
   * (alerts.heatmap.full-resolution); null = off.
   */
  public BatchingInferenceOperator withFullResolutionHeatmaps(String claimCheckRoot) {
    this.fullResolutionRoot = claimCheckRoot;
    return this;
  }

  /** How heatmaps are drawn (alerts.heatmap.format). */
  public BatchingInferenceOperator withHeatmapFormat(HeatmapFormat format) {
    this.heatmapFormat = java.util.Objects.requireNonNull(format, "alerts.heatmap.format");
    return this;
  }

  /**
   * The heap a batch of the largest frames the limits admit can take ({@link
   * FrameHeap#batchBytes}), logged at start, and a WARN naming the keys when it is more than half
   * the task manager's heap: a few such frames would otherwise end in OutOfMemoryError.
   *
   * @return whether it warned
   */
  boolean reportFrameHeap(int batch, long maxHeap) {
    long bytes = FrameHeap.batchBytes(limits, batch);
    if (bytes > maxHeap / 2) {
      LOG.warn(
          "a batch of {} frames at limits.max-pixels = {} can take {} MiB of heap, more than half of"
              + " this task manager's {} MiB: lower batch.max-size or limits.max-pixels, or give the"
              + " task managers more heap (docs/operations.md, \"Frame memory\")",
          batch,
          limits.maxPixels(),
          bytes >> 20,
          maxHeap >> 20);
      return true;
    }
    LOG.info(
        "frame heap: a batch of {} frames at limits.max-pixels = {} takes at most {} MiB of {} MiB",
        batch,
        limits.maxPixels(),
        bytes >> 20,
        maxHeap >> 20);
    return false;
  }

  /** Heatmaps at most this many pixels on their longer side (alerts.heatmap.max-side). */
  public BatchingInferenceOperator withHeatmapMaxSide(int maxSide) {
    if (maxSide < 16) {
      throw new IllegalArgumentException(
          "alerts.heatmap.max-side must be at least 16, was " + maxSide);
    }
    this.heatmapMaxSide = maxSide;
    return this;
  }

  public BatchingInferenceOperator withBankAnnouncements() {
    this.bankAnnouncements = true;
    return this;
  }

  private record Pending(Ingested in, long arrivedMs) {}

  /** Drift acceptances per line id (control records), applied to scopes as they are loaded. */
  private final Map<String, Long> driftAcceptances = new HashMap<>();

  /** A scope's live statistics; written back to keyed state before each checkpoint. */
  private static final class Scope {
    final String key;
    final String lineId;
    final String sourceId; // null unless scopes are per source
    final OnlineScoreStatistics stats;
    boolean dirty;
    boolean published = true;
    boolean drifting; // as last reported (restored scopes start with their state's)
    long acceptedAt = Long.MIN_VALUE; // the last drift acceptance applied

    void acceptDrift(long at) {
      stats.acceptDrift();
      acceptedAt = at;
      dirty = true;
      published = false;
    }

    Scope(String key, String lineId, String sourceId, OnlineScoreStatistics stats) {
      this.key = key;
      this.lineId = lineId;
      this.sourceId = sourceId;
      this.stats = stats;
      this.drifting = stats.drifting();
    }
  }

  @Override
  public void initializeState(StateInitializationContext context) throws Exception {
    super.initializeState(context);
    buffer = new ArrayList<>();
    bufferState =
        context
            .getOperatorStateStore()
            .getListState(
                new ListStateDescriptor<>("buffered-frames", TypeInformation.of(Ingested.class)));
    if (context.isRestored()) {
      for (Ingested in : bufferState.get()) {
        buffer.add(new Pending(in, System.currentTimeMillis()));
      }
    }
    scopes = new HashMap<>();
    if (getKeyedStateBackend() != null) {
      statisticsState =
          context
              .getKeyedStateStore()
              .getState(
                  new ValueStateDescriptor<>(
                      "score-statistics", PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO));
    }
    reservoir =
        new WeightedReservoir<>(
            adaptation.reservoirSize(),
            System.nanoTime() ^ getRuntimeContext().getTaskInfo().getIndexOfThisSubtask());
    reservoirState =
        context
            .getOperatorStateStore()
            .getListState(
                new ListStateDescriptor<>(
                    "bank-candidates", TypeInformation.of(BankCandidate.class)));
    if (bankAnnouncements) {
      // every subtask keeps the same bank reference; union state so a rescaled restore still finds
      // it
      bankState =
          context
              .getOperatorStateStore()
              .getUnionListState(
                  new ListStateDescriptor<>("current-bank", TypeInformation.of(BankRef.class)));
    }
    if (context.isRestored()) {
      for (BankCandidate c : reservoirState.get()) {
        reservoir.add(c.key, c);
      }
      if (bankState != null) {
        for (BankRef r : bankState.get()) {
          if (currentBank == null || r.createdAt > currentBank.createdAt) {
            currentBank = r;
          }
        }
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
      // wrong configuration (CUDA requested but unavailable, bank/backbone mismatch, corrupt bank):
      // restarting
      // cannot fix it, so fail the job once with the cause instead of crash-looping through the
      // restart strategy
      throw new SuppressRestartsException(
          new IllegalStateException("inference operator cannot start: " + e.getMessage(), e));
    }
    metrics = new InferenceMetrics(getMetricGroup(), detector, adaptation.perSource());
    reportFrameHeap(maxBatch, Runtime.getRuntime().maxMemory());
    fullHeatmaps =
        heatmaps && fullResolutionRoot != null
            ? new FullResolutionHeatmaps(fullResolutionRoot)
            : null;
    if (currentBank != null && !currentBank.version.equals(detector.bankVersion())) {
      try {
        detector.swapBank(Path.of(URI.create(currentBank.uri)), currentBank.sha256);
        LOG.info("restored bank {} from state", currentBank);
      } catch (Exception e) {
        metrics.bankRejected();
        LOG.error(
            "bank {} from state refused, scoring with the configured bank {}: {}",
            currentBank,
            detector.bankVersion(),
            e.getMessage());
        currentBank = null;
      }
    }
    if (adaptation.statisticsIntervalMs() > 0 && statisticsState != null) {
      scheduleAligned(adaptation.statisticsIntervalMs(), this::publishStatistics);
    }
    if (adaptation.bankUpdates()) {
      scheduleAligned(adaptation.updateIntervalMs(), this::handOverCandidates);
    }
    LOG.info(
        "inference operator {}: model {}, bank {}, threshold {}, provider {}, batch <= {} / {} ms",
        getRuntimeContext().getTaskInfo().getTaskNameWithSubtasks(),
        detector.modelVersion(),
        detector.bankVersion(),
        detector.threshold(),
        detector.executionProvider(),
        maxBatch,
        maxWaitMs);
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
    buffer.add(
        new Pending(element.getValue(), getProcessingTimeService().getCurrentProcessingTime()));
    if (buffer.size() >= maxBatch) {
      flush();
    } else if (timer == null) {
      scheduleFlush();
    }
  }

  /**
   * Runs {@code task} at the next multiple of {@code interval} of wall time, so subtasks act
   * together.
   */
  private void scheduleAligned(long interval, ThrowingRunnable task) {
    long now = getProcessingTimeService().getCurrentProcessingTime();
    getProcessingTimeService()
        .registerTimer(
            (now / interval + 1) * interval,
            t -> {
              task.run();
              scheduleAligned(interval, task);
            });
  }

  @FunctionalInterface
  private interface ThrowingRunnable {
    void run() throws Exception;
  }

  @Override
  public void processElement1(StreamRecord<Ingested> element) throws Exception {
    processElement(element);
  }

  /**
   * A bank announcement: frames buffered so far are scored with the current bank, then the new one
   * is swapped in.
   */
  @Override
  public void processElement2(StreamRecord<BankUpdate> element) throws Exception {
    BankUpdate update = element.getValue();
    if (ACCEPT_DRIFT.equals(update.getReason().toString()) && update.getLineId() != null) {
      acceptDrift(update);
      return;
    }
    if (update.getLineId() != null) {
      LOG.warn(
          "bank {} announced for line {} only: per-line banks are not supported, ignored",
          update.getBankVersion(),
          update.getLineId());
      metrics.bankRejected();
      return;
    }
    if (update.getBankVersion().equals(detector.bankVersion())) {
      return;
    }
    flush();
    try {
      detector.swapBank(Path.of(URI.create(update.getBankUri())), update.getSha256());
    } catch (Exception e) {
      metrics.bankRejected();
      LOG.error(
          "bank {} ({}) refused, keeping {}: {}",
          update.getBankVersion(),
          update.getBankUri(),
          detector.bankVersion(),
          e.getMessage());
      return;
    }
    currentBank = BankRef.of(update);
    metrics.bankSwapped(detector.bankVersion(), detector.modelVersion());
    LOG.info(
        "bank {} swapped in ({}, {})",
        detector.bankVersion(),
        update.getReason(),
        update.getBankUri());
  }

  /** The control record's reason by which an operator accepts a line's drift. */
  public static final String ACCEPT_DRIFT = "accept-drift";

  /**
   * An operator accepted the drift of a line (every scope of it): its statistics warm up again on
   * what it produces now, and its frames are bank candidates meanwhile, alerted or not. Applied to
   * the scopes this subtask holds now and to those it loads later (until the job restarts).
   */
  private void acceptDrift(BankUpdate update) throws Exception {
    flush(); // frames before the record are judged as before
    String line = update.getLineId().toString();
    long at = update.getCreatedAt().toEpochMilli();
    driftAcceptances.merge(line, at, Math::max);
    int applied = 0;
    for (Scope s : scopes.values()) {
      if (s.lineId.equals(line) && s.acceptedAt < at) {
        s.acceptDrift(at);
        applied++;
      }
    }
    if (applied > 0) {
      LOG.warn(
          "line {}: drift accepted ({}), statistics of {} scope(s) start again from the calibrated "
              + "threshold",
          line,
          update.getBankVersion(),
          applied);
    }
  }

  private void scheduleFlush() {
    ProcessingTimeCallback callback = this;
    timer =
        getProcessingTimeService()
            .registerTimer(
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

  private void writeBackStatistics() throws Exception {
    if (statisticsState == null) {
      return;
    }
    for (Scope s : scopes.values()) {
      if (s.dirty) {
        setCurrentKey(s.key);
        statisticsState.update(s.stats.toBytes());
        s.dirty = false;
      }
    }
  }

  @Override
  public void snapshotState(StateSnapshotContext context) throws Exception {
    super.snapshotState(context);
    writeBackStatistics(); // keyed state is snapshotted after this hook
    List<Ingested> pending = new ArrayList<>(buffer.size());
    for (Pending p : buffer) {
      pending.add(p.in());
    }
    bufferState.update(pending);
    List<BankCandidate> candidates = new ArrayList<>();
    for (WeightedReservoir.Entry<BankCandidate> e : reservoir.entries()) {
      candidates.add(e.item());
    }
    reservoirState.update(candidates);
    if (bankState != null) {
      bankState.update(currentBank == null ? List.of() : List.of(currentBank));
    }
  }

  @Override
  public void finish() throws Exception {
    flush();
    writeBackStatistics();
    super.finish();
  }

  /**
   * The scope of a key this subtask owns, loaded from keyed state on first use; null without keyed
   * state.
   */
  private Scope scope(CameraFrame frame) throws Exception {
    if (statisticsState == null) {
      return null;
    }
    String key = ScopeKey.of(frame, adaptation.perSource());
    Scope s = scopes.get(key);
    if (s != null) {
      return s;
    }
    var task = getRuntimeContext().getTaskInfo();
    int operatorIndex =
        KeyGroupRangeAssignment.assignKeyToParallelOperator(
            key, task.getMaxNumberOfParallelSubtasks(), task.getNumberOfParallelSubtasks());
    if (operatorIndex != task.getIndexOfThisSubtask()) {
      // a buffered frame restored onto another subtask after rescaling: judged by the fixed
      // threshold
      return null;
    }
    setCurrentKey(key);
    byte[] bytes = statisticsState.value();
    OnlineScoreStatistics stats = restoredStatistics(key, bytes);
    s =
        new Scope(
            key, frame.getLineId(), adaptation.perSource() ? frame.getSourceId() : null, stats);
    Long accepted = driftAcceptances.get(s.lineId);
    if (accepted != null && bytes != null) {
      s.acceptDrift(accepted);
      LOG.warn("line {}: drift accepted, statistics of scope {} start again", s.lineId, key);
    }
    scopes.put(key, s);
    return s;
  }

  /** The open operator's metrics, for tests in this package. */
  InferenceMetrics metricsForTest() {
    return metrics;
  }

  /**
   * A scope's statistics from its keyed state. State the configured statistics cannot continue (the
   * half-life or bin count changed between savepoint and restore, or bytes this release cannot
   * read) starts that scope again, with one WARN line and {@code statisticsResets}: failing would
   * fail every restart the same way.
   */
  private OnlineScoreStatistics restoredStatistics(String key, byte[] bytes) {
    if (bytes == null) {
      return new OnlineScoreStatistics(adaptation.statistics());
    }
    try {
      return OnlineScoreStatistics.fromBytes(bytes).withConfig(adaptation.statistics());
    } catch (RuntimeException e) {
      metrics.statisticsReset();
      LOG.warn(
          "statistics of scope {} restored from state cannot continue with the configured"
              + " statistics ({}): that scope starts again, with the fixed threshold until it has"
              + " threshold.min-frames frames",
          key,
          e.getMessage());
      return new OnlineScoreStatistics(adaptation.statistics());
    }
  }

  /** Emits a snapshot of every scope that saw frames since the last one. */
  private void publishStatistics() {
    long now = getProcessingTimeService().getCurrentProcessingTime();
    for (Scope s : scopes.values()) {
      if (!s.published) {
        output.collect(STATISTICS, new StreamRecord<>(snapshot(s, now)));
        s.published = true;
      }
    }
  }

  private ScoreStatistics snapshot(Scope s, long now) {
    OnlineScoreStatistics st = s.stats;
    OnlineScoreStatistics.Drift drift = st.drift();
    return ScoreStatistics.newBuilder()
        .setLineId(s.lineId)
        .setModality(Modality.CAMERA)
        .setSourceId(s.sourceId)
        .setSnapshotTime(Instant.ofEpochMilli(now))
        .setCount(st.count())
        .setEffectiveCount(st.effectiveCount())
        .setMedian(st.median())
        .setMad(st.mad())
        .setP90(st.quantile90())
        .setP99(st.quantile99())
        .setSkewness(st.skewness())
        .setWeightMin(st.weightMin())
        .setWeightMax(st.weightMax())
        .setThreshold(threshold(s))
        .setAlertRate(st.alertRate())
        .setBankVersion(detector.bankVersion())
        .setDriftActive(drift.active())
        .setDriftShare(drift.share())
        .setDriftWindow(drift.window())
        .setDriftSince(drift.since())
        .setDriftEvents(drift.events())
        .setDriftMedianScore(Double.isNaN(drift.medianScore()) ? null : drift.medianScore())
        .setDriftMaxScore(Double.isNaN(drift.maxScore()) ? null : drift.maxScore())
        .build();
  }

  private double threshold(Scope s) {
    return OnlineDecision.threshold(
        s == null ? null : s.stats, detector.threshold(), adaptation.adaptiveThreshold());
  }

  /** Hands this subtask's reservoir to the bank builder and starts a new one. */
  private void handOverCandidates() {
    List<WeightedReservoir.Entry<BankCandidate>> picked = reservoir.drain();
    for (WeightedReservoir.Entry<BankCandidate> e : picked) {
      output.collect(CANDIDATES, new StreamRecord<>(e.item()));
    }
    metrics.candidates(picked.size());
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
      // one bad frame must not take its batch down: score them one by one and dead-letter what
      // still fails
      LOG.warn("batch of {} failed ({}); retrying frame by frame", images.size(), e.toString());
      detections = new ArrayList<>(images.size());
      for (int i = 0; i < images.size(); i++) {
        try {
          detections.add(detector.detect(List.of(images.get(i))).get(0));
        } catch (Exception single) {
          detections.add(null);
          deadLetter(
              decodedFrames.get(i).in(),
              DeadLetterReason.INFERENCE_FAILED,
              "inference failed: " + single);
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
      Scope scope = scope(frame);
      OnlineDecision.Verdict verdict =
          OnlineDecision.judge(
              scope == null ? null : scope.stats,
              detector.threshold(),
              adaptation.adaptiveThreshold(),
              adaptation.gaussianWeighting(),
              adaptation.weightExponent(),
              d.score());
      double threshold = verdict.threshold();
      boolean anomalous = verdict.alerted();
      FrameScore score = Verdicts.score(frame, d, detector, threshold, now);
      output.collect(new StreamRecord<>(score));
      metrics.frameOut(score);
      if (anomalous) {
        double calibrated =
            scope != null && adaptation.adaptiveThreshold() && scope.stats.warmedUp()
                ? scope.stats.cdf(d.score())
                : detector.calibrated(d.score());
        Alert alert =
            Verdicts.alert(
                frame,
                images.get(i),
                d,
                detector,
                threshold,
                calibrated,
                now,
                heatmaps ? heatmapMaxSide : 0,
                heatmapFormat);
        if (fullHeatmaps != null) {
          try {
            alert = fullHeatmaps.attach(alert, d);
          } catch (java.io.IOException | RuntimeException e) {
            // the alert goes out without it: a full disk or a store outage must not hold alerts
            metrics.heatmapWriteFailed();
            LOG.warn(
                "full-resolution heatmap of frame {} not written: {}",
                frame.getFrameId(),
                e.toString());
          }
        }
        output.collect(ALERTS, new StreamRecord<>(alert));
        metrics.alert();
      }
      if (scope != null) {
        String scopeKey = scope.key;
        OnlineDecision.record(
            scope.stats,
            adaptation.bankUpdates() && d.features() != null ? reservoir : null,
            verdict,
            d.score(),
            key ->
                BankCandidate.of(
                    scopeKey,
                    frame.getFrameId(),
                    detector.bankVersion(),
                    d,
                    verdict.weight(),
                    key,
                    adaptation.patchesPerFrame()));
        scope.dirty = true;
        scope.published = false;
        boolean drifting = scope.stats.drifting();
        if (drifting != scope.drifting) {
          // a drift is an event: its start and end go out at once, not at the next interval
          scope.drifting = drifting;
          OnlineScoreStatistics.Drift drift = scope.stats.drift();
          if (drifting) {
            LOG.warn(
                "line {} in drift: {} of the last {} frames alerted (median score {}); it keeps "
                    + "alerting, its alerting frames stay out of the statistics until the share falls "
                    + "or an operator accepts the drift",
                scope.lineId,
                String.format(java.util.Locale.ROOT, "%.1f%%", 100 * drift.share()),
                drift.window(),
                drift.medianScore());
          } else {
            LOG.info("line {}: drift ended ({} alert share)", scope.lineId, drift.share());
          }
          if (adaptation.statisticsIntervalMs() > 0) {
            output.collect(STATISTICS, new StreamRecord<>(snapshot(scope, now)));
          }
        }
        metrics.statistics(frame.getLineId(), scope.sourceId, scope.stats);
      }
    }
  }

  private void deadLetter(Ingested in, DeadLetterReason reason, String message) {
    byte[] raw = serdes.encode(in.frame);
    output.collect(
        IngestRouter.DEAD_LETTERS,
        new StreamRecord<>(
            DeadLetters.of(
                in.topic,
                in.partition,
                in.offset,
                in.key,
                reason,
                message,
                raw,
                getProcessingTimeService().getCurrentProcessingTime())));
    metrics.deadLetter();
  }

  /**
   * Distinct line ids that get their own metric group; senders choose line ids, so their number is
   * capped.
   */
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
    private final Counter bankSwaps;
    private final Counter bankRejected;
    private final Counter candidates;
    private final Counter heatmapWriteFailures;
    private final Counter statisticsResets;
    private final MetricGroup group;
    private volatile String bankVersion;
    private final LineMetrics lines;
    private final boolean perSource; // line metrics per line x source, as the statistics scopes

    InferenceMetrics(MetricGroup group, FrameDetector detector, boolean perSource) {
      this.perSource = perSource;
      framesOut = group.counter("framesOut");
      group.meter("framesOutPerSecond", new MeterView(framesOut));
      alerts = group.counter("alerts");
      deadLetters = group.counter("inferenceDeadLetters");
      batchSize = group.histogram("batchSize", new DescriptiveStatisticsHistogram(1000));
      inferenceLatency =
          group.histogram("inferenceLatencyMs", new DescriptiveStatisticsHistogram(1000));
      queueWait = group.histogram("queueWaitMs", new DescriptiveStatisticsHistogram(1000));
      endToEndLatency =
          group.histogram("endToEndLatencyMs", new DescriptiveStatisticsHistogram(1000));
      String provider = detector.executionProvider();
      group.gauge("executionProvider", () -> provider);
      int fellBack = detector.fellBackToCpu() ? 1 : 0;
      group.gauge("cudaFallback", () -> fellBack);
      bankSwaps = group.counter("bankSwaps");
      bankRejected = group.counter("bankRejected");
      candidates = group.counter("bankCandidates");
      heatmapWriteFailures = group.counter("heatmapWriteFailures");
      statisticsResets = group.counter("statisticsResets");
      this.group = group;
      bankVersion = detector.bankVersion();
      registerVersions(detector.bankVersion(), detector.modelVersion());
      lines = new LineMetrics(group, MAX_LINE_GROUPS);
    }

    /**
     * The versions as labels (Prometheus drops string gauges): bank="<version>", model="<version>";
     * 0 once retired.
     */
    private void registerVersions(String bank, String model) {
      group
          .addGroup("bank", bank)
          .addGroup("model", model)
          .gauge("detectorLoaded", () -> bank.equals(bankVersion) ? 1 : 0);
    }

    void bankSwapped(String version, String model) {
      bankSwaps.inc();
      bankVersion = version;
      registerVersions(version, model);
    }

    void bankRejected() {
      bankRejected.inc();
    }

    void heatmapWriteFailed() {
      heatmapWriteFailures.inc();
    }

    void statisticsReset() {
      statisticsResets.inc();
    }

    long statisticsResets() {
      return statisticsResets.getCount();
    }

    void candidates(int n) {
      candidates.inc(n);
    }

    void statistics(String lineId, String sourceId, OnlineScoreStatistics stats) {
      lines.of(lineId, sourceId).statistics(stats);
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
      lines.of(score.getLineId(), perSource ? score.getSourceId() : null).frame(score);
    }

    void alert() {
      alerts.inc();
    }

    void deadLetter() {
      deadLetters.inc();
    }
  }
}
