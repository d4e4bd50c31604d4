package io.tailwatch.flink.inference;

import io.tailwatch.detector.bank.BankFormatException;
import io.tailwatch.detector.image.FloatImage;
import io.tailwatch.detector.scoring.Detection;
import io.tailwatch.flink.adapt.BankRef;
import io.tailwatch.flink.ingest.DeadLetters;
import io.tailwatch.flink.ingest.FrameLimits;
import io.tailwatch.flink.ingest.FramePayloads;
import io.tailwatch.flink.ingest.FrameRejectedException;
import io.tailwatch.flink.ingest.IngestRouter;
import io.tailwatch.flink.ingest.Ingested;
import io.tailwatch.flink.runtime.OperatorWorker;
import io.tailwatch.schemas.AvroSerdes;
import io.tailwatch.schemas.BankStatus;
import io.tailwatch.schemas.BankStatusCode;
import io.tailwatch.schemas.BankUpdate;
import io.tailwatch.schemas.CameraFrame;
import io.tailwatch.schemas.DeadLetterReason;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledFuture;
import org.apache.flink.api.common.operators.ProcessingTimeService.ProcessingTimeCallback;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.execution.SuppressRestartsException;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.operators.TwoInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;

/**
 * The inference stage: collects frames into batches of up to {@code maxBatch}, or for at most
 * {@code maxWaitMs} after the first frame of a batch, and runs decode, backbone and kNN on a worker
 * thread of its own, so the task thread keeps taking frames, timers and checkpoint barriers while a
 * batch runs. At most {@code maxInFlight} batches are queued or running; past that the task thread
 * waits for the oldest (backpressure). Results go out on the task thread in submission order: a
 * {@link ScoredFrame} per frame, and a dead letter per frame that cannot be decoded or scored on
 * {@link IngestRouter#DEAD_LETTERS}. Unkeyed: a busy line spreads over every inference subtask.
 *
 * <p>Exactly once: before a checkpoint barrier the open batch is submitted and every batch in
 * flight is awaited and emitted ({@link #prepareSnapshotPreBarrier}); what is still buffered when a
 * snapshot is taken without that flush is kept in operator state and scored after a restore.
 *
 * <p>Bank announcements (the broadcast second input) are queued on the worker behind the batches
 * before them, so frames before an announcement are scored with the old bank and later ones with
 * the new; a bank that fails its checks is refused whole (the old one stays, {@code bankRejected}).
 * The bank in use is kept in union operator state and reported per subtask as {@code
 * bank.<version>.model.<version>.detectorLoaded}.
 */
public final class InferenceOperator extends AbstractStreamOperator<ScoredFrame>
    implements OneInputStreamOperator<Ingested, ScoredFrame>,
        TwoInputStreamOperator<Ingested, BankUpdate, ScoredFrame>,
        ProcessingTimeCallback {
  private static final long serialVersionUID = 1L;

  /** Each subtask's bank events: in use at start and after swaps, refused banks (topics.status). */
  public static final org.apache.flink.util.OutputTag<BankStatus> BANK_STATUS =
      new org.apache.flink.util.OutputTag<>("bank-status") {};

  /** Batches queued or running on the worker unless configured: one running, one waiting. */
  public static final int DEFAULT_MAX_IN_FLIGHT = 2;

  private final DetectorFactory factory;
  private final FrameLimits limits;
  private final int maxBatch;
  private final long maxWaitMs;
  private int maxInFlight = DEFAULT_MAX_IN_FLIGHT;
  private int candidatePatches;
  private boolean keepPixels;
  private boolean bankAnnouncements;

  private transient List<Pending> buffer;
  private transient ListState<Ingested> bufferState;
  private transient ListState<BankRef> bankState;
  private transient BankRef currentBank; // the last announced bank swapped in (null: configured)
  private transient String activeBankVersion; // the worker's bank, as the task thread last saw it
  private transient ScheduledFuture<?> timer;
  private transient FrameDetector detector;
  private transient FramePayloads payloads;
  private transient AvroSerdes<CameraFrame> serdes;
  private transient Metrics metrics;
  private transient OperatorWorker worker;
  private transient ArrayDeque<CompletableFuture<Completion>> inFlight;

  public InferenceOperator(
      DetectorFactory factory, FrameLimits limits, int maxBatch, long maxWaitMs) {
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
  }

  /** Batches queued or running on the worker at most (inference.max-in-flight-batches). */
  /**
   * CUDA devices for the subtasks: subtask {@code i} opens its sessions on {@code ids[i %
   * ids.length]} (one device per task slot); empty = device 0.
   */
  public InferenceOperator withCudaDevices(int[] ids) {
    for (int id : ids) {
      if (id < 0) {
        throw new IllegalArgumentException(
            "inference.cuda.device-ids must be >= 0, was " + java.util.Arrays.toString(ids));
      }
    }
    this.cudaDevices = ids.clone();
    return this;
  }

  private int[] cudaDevices = new int[0];

  /** The CUDA device subtask {@code subtask} uses: from {@link #withCudaDevices}, else 0. */
  int cudaDevice(int subtask) {
    return cudaDevices.length == 0 ? 0 : cudaDevices[subtask % cudaDevices.length];
  }

  public InferenceOperator withMaxInFlight(int batches) {
    if (batches < 1) {
      throw new IllegalArgumentException(
          "inference.max-in-flight-batches must be at least 1, was " + batches);
    }
    this.maxInFlight = batches;
    return this;
  }

  /** Carry each frame's top {@code patches} patch vectors for bank updates (0 = none). */
  public InferenceOperator withBankCandidates(int patches) {
    this.candidatePatches = patches;
    return this;
  }

  /** Keep the frames' pixels in the scored frames (the renderer draws the overlay over them). */
  public InferenceOperator withPixels(boolean keep) {
    this.keepPixels = keep;
    return this;
  }

  /**
   * This operator receives bank announcements (the job has a control topic): only then does it keep
   * the bank in use in union operator state. Union state is never registered otherwise, because a
   * bounded job whose vertex holds union state cannot checkpoint once some of its subtasks have
   * finished (Flink declines those checkpoints with PartialFinishingNotSupportedByStateException).
   */
  public InferenceOperator withBankAnnouncements() {
    this.bankAnnouncements = true;
    return this;
  }

  private record Pending(Ingested in, long arrivedMs) {}

  /** A frame the worker could not decode or score. */
  private record Failure(Ingested in, DeadLetterReason reason, String message) {}

  /** What the worker hands back: a batch's results, or the outcome of a bank swap. */
  private record Completion(
      List<ScoredFrame> scored,
      List<Failure> failures,
      int batchSize,
      long inferenceMs,
      List<Long> queueWaits,
      BankUpdate swap,
      String swappedVersion,
      Exception swapError) {
    static Completion swapped(BankUpdate update, String version) {
      return new Completion(List.of(), List.of(), 0, 0, List.of(), update, version, null);
    }

    static Completion refused(BankUpdate update, Exception e) {
      return new Completion(List.of(), List.of(), 0, 0, List.of(), update, null, e);
    }
  }

  @Override
  public void initializeState(StateInitializationContext context) throws Exception {
    super.initializeState(context);
    buffer = new ArrayList<>();
    inFlight = new ArrayDeque<>();
    bufferState =
        context
            .getOperatorStateStore()
            .getListState(
                new ListStateDescriptor<>("buffered-frames", TypeInformation.of(Ingested.class)));
    if (bankAnnouncements) {
      // every subtask keeps the same bank reference; union state so a rescaled restore finds it
      bankState =
          context
              .getOperatorStateStore()
              .getUnionListState(
                  new ListStateDescriptor<>("current-bank", TypeInformation.of(BankRef.class)));
    }
    if (context.isRestored()) {
      for (Ingested in : bufferState.get()) {
        buffer.add(new Pending(in, System.currentTimeMillis()));
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
      int subtask = getRuntimeContext().getTaskInfo().getIndexOfThisSubtask();
      int device = cudaDevice(subtask);
      detector = io.tailwatch.detector.onnx.OrtSessions.onCudaDevice(device, () -> factory.open());
      if (cudaDevices.length > 0) {
        LOG.info(
            "inference subtask {}: CUDA device {} (inference.cuda.device-ids {}); runs on {}",
            subtask,
            device,
            java.util.Arrays.toString(cudaDevices),
            detector.executionProvider());
      }
    } catch (IllegalArgumentException | IllegalStateException | BankFormatException e) {
      // wrong configuration (CUDA requested but unavailable, bank/backbone mismatch, corrupt bank):
      // restarting cannot fix it, so fail the job once with the cause instead of crash-looping
      throw new SuppressRestartsException(
          new IllegalStateException("inference operator cannot start: " + e.getMessage(), e));
    }
    metrics = new Metrics(getMetricGroup(), detector);
    reportFrameHeap(maxBatch, Runtime.getRuntime().maxMemory());
    List<BankStatus> atStart = new ArrayList<>();
    activeBankVersion = detector.bankVersion(); // the configured bank, unless state names another
    if (currentBank != null && !currentBank.version.equals(detector.bankVersion())) {
      try {
        detector.swapBank(Path.of(URI.create(currentBank.uri)), currentBank.sha256);
        metrics.bankSwapped(detector.bankVersion(), detector.modelVersion());
        LOG.info("restored bank {} from state", currentBank);
        atStart.add(status(currentBank.version, currentBank.uri, true, "restored from state"));
      } catch (Exception e) {
        metrics.bankRejected();
        LOG.error(
            "bank {} from state refused, scoring with the configured bank {}: {}",
            currentBank,
            detector.bankVersion(),
            e.getMessage());
        atStart.add(
            status(
                currentBank.version,
                currentBank.uri,
                false,
                "restored from state: " + e.getMessage()));
        currentBank = null;
      }
    }
    activeBankVersion = detector.bankVersion();
    if (atStart.isEmpty()) {
      atStart.add(status(activeBankVersion, null, true, "configured"));
    }
    // after open: records go out from the mailbox, not from open()
    getProcessingTimeService()
        .registerTimer(
            getProcessingTimeService().getCurrentProcessingTime(),
            t -> atStart.forEach(st -> output.collect(BANK_STATUS, new StreamRecord<>(st))));
    String task = getRuntimeContext().getTaskInfo().getTaskNameWithSubtasks();
    worker = OperatorWorker.start(this, "tailwatch-inference " + task);
    LOG.info(
        "inference operator {}: model {}, bank {}, threshold {}, provider {}, batch <= {} / {} ms,"
            + " {} batch(es) in flight",
        task,
        detector.modelVersion(),
        detector.bankVersion(),
        detector.threshold(),
        detector.executionProvider(),
        maxBatch,
        maxWaitMs,
        maxInFlight);
    if (detector.fellBackToCpu()) {
      // also the cudaFallback metric; the detector logged the cause when it opened the session
      LOG.info("device auto: this session runs on CPU: {}", detector.executionProvider());
    }
    if (!buffer.isEmpty()) {
      LOG.info("scoring {} frames restored from state", buffer.size());
      scheduleFlush();
    }
  }

  /**
   * The heap a batch of the largest frames the limits admit can take ({@link
   * FrameHeap#batchBytes}), logged at start, and a WARN naming the keys when it is more than half
   * the task manager's heap: a few such frames would otherwise end in OutOfMemoryError.
   *
   * @return whether it warned
   */
  boolean reportFrameHeap(int batch, long maxHeap) {
    // the running batch decoded, plus the raw payloads of the batches queued behind it
    long bytes =
        FrameHeap.batchBytes(limits, batch) + (long) maxInFlight * batch * limits.maxPayloadBytes();
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

  @Override
  public void processElement(StreamRecord<Ingested> element) throws Exception {
    buffer.add(
        new Pending(element.getValue(), getProcessingTimeService().getCurrentProcessingTime()));
    if (buffer.size() >= maxBatch) {
      submitBatch();
    } else if (timer == null) {
      scheduleFlush();
    }
  }

  @Override
  public void processElement1(StreamRecord<Ingested> element) throws Exception {
    processElement(element);
  }

  /**
   * A control record. Bank announcements are queued behind the frames before them; drift
   * acceptances are for the decision stage and ignored here.
   */
  @Override
  public void processElement2(StreamRecord<BankUpdate> element) throws Exception {
    BankUpdate update = element.getValue();
    if (io.tailwatch.flink.adapt.Adaptation.ACCEPT_DRIFT.equals(update.getReason().toString())) {
      return;
    }
    if (update.getLineId() != null) {
      LOG.warn(
          "bank {} announced for line {} only: per-line banks are not supported, ignored",
          update.getBankVersion(),
          update.getLineId());
      metrics.bankRejected();
      emitStatus(
          update.getBankVersion(),
          update.getBankUri(),
          false,
          "announced for line " + update.getLineId() + ": per-line banks are not supported");
      return;
    }
    if (update.getBankVersion().equals(activeBankVersion)) {
      return;
    }
    submitBatch(); // frames before the announcement are scored with the bank they were sent for
    submit(
        () -> {
          try {
            detector.swapBank(Path.of(URI.create(update.getBankUri())), update.getSha256());
            return Completion.swapped(update, detector.bankVersion());
          } catch (Exception e) {
            return Completion.refused(update, e);
          }
        });
    activeBankVersion = update.getBankVersion(); // a repeat of it is not queued twice
  }

  private void scheduleFlush() {
    timer =
        getProcessingTimeService()
            .registerTimer(getProcessingTimeService().getCurrentProcessingTime() + maxWaitMs, this);
  }

  @Override
  public void onProcessingTime(long time) throws Exception {
    timer = null;
    submitBatch();
  }

  @Override
  public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
    super.prepareSnapshotPreBarrier(checkpointId);
    drain();
  }

  @Override
  public void snapshotState(StateSnapshotContext context) throws Exception {
    super.snapshotState(context);
    // in flight: nothing after drain(); a snapshot without the pre-barrier hook keeps both lists
    if (!inFlight.isEmpty()) {
      // never in a job: prepareSnapshotPreBarrier drained them, and nothing runs in between
      throw new IllegalStateException(inFlight.size() + " batch(es) in flight at snapshot time");
    }
    List<Ingested> pending = new ArrayList<>();
    for (Pending p : buffer) {
      pending.add(p.in());
    }
    bufferState.update(pending);
    if (bankState != null) {
      bankState.update(currentBank == null ? List.of() : List.of(currentBank));
    }
  }

  @Override
  public void finish() throws Exception {
    drain();
    super.finish();
  }

  /** Submits the open batch and waits for every batch in flight, emitting their results. */
  private void drain() throws Exception {
    if (worker == null) {
      return; // never opened (the detector could not start): nothing was taken
    }
    submitBatch();
    awaitInFlight();
  }

  /** Waits for the batches already submitted (not the open one), emitting their results. */
  void awaitInFlight() throws Exception {
    while (!inFlight.isEmpty()) {
      awaitOldest();
    }
  }

  /** Frames waiting for the next batch (tests). */
  int buffered() {
    return buffer.size();
  }

  /** Batches queued or running on the worker (tests). */
  int inFlight() {
    return inFlight.size();
  }

  private void submitBatch() throws Exception {
    if (timer != null) {
      timer.cancel(false);
      timer = null;
    }
    if (buffer.isEmpty()) {
      return;
    }
    List<Pending> batch = buffer;
    buffer = new ArrayList<>();
    long submitted = getProcessingTimeService().getCurrentProcessingTime();
    submit(() -> run(batch, submitted));
  }

  private void submit(java.util.function.Supplier<Completion> work) throws Exception {
    while (inFlight.size() >= maxInFlight) {
      awaitOldest(); // backpressure: the task thread takes no more input until a batch is done
    }
    inFlight.addLast(worker.submit(work, this::emitCompleted, "inference results"));
  }

  /** Blocks until the oldest batch is done, then emits every completed batch at the head. */
  private void awaitOldest() throws Exception {
    try {
      inFlight.peekFirst().get();
    } catch (ExecutionException e) {
      // rethrown by emitCompleted below
    }
    emitCompleted();
  }

  /** Emits the completed batches at the head of the queue, in order (on the task thread). */
  private void emitCompleted() throws Exception {
    while (!inFlight.isEmpty() && inFlight.peekFirst().isDone()) {
      Completion c;
      try {
        c = inFlight.pollFirst().get();
      } catch (ExecutionException e) {
        // the worker failed outside a frame's own failure handling (e.g. out of memory): fail the
        // task; the frames are read again from the last checkpoint
        throw new IllegalStateException("inference worker failed", e.getCause());
      }
      if (c.swap() != null) {
        swapped(c);
        continue;
      }
      for (long wait : c.queueWaits()) {
        metrics.queueWait.update(wait);
      }
      if (c.batchSize() > 0) {
        metrics.batchSize.update(c.batchSize());
        metrics.inferenceLatency.update(c.inferenceMs());
      }
      for (Failure f : c.failures()) {
        deadLetter(f.in(), f.reason(), f.message());
      }
      for (ScoredFrame s : c.scored()) {
        output.collect(new StreamRecord<>(s));
      }
      metrics.framesScored.inc(c.scored().size());
    }
  }

  private void swapped(Completion c) {
    BankUpdate update = c.swap();
    if (c.swapError() != null) {
      metrics.bankRejected();
      activeBankVersion = bankInUse();
      LOG.error(
          "bank {} ({}) refused, keeping {}: {}",
          update.getBankVersion(),
          update.getBankUri(),
          activeBankVersion,
          c.swapError().getMessage());
      emitStatus(
          update.getBankVersion(),
          update.getBankUri(),
          false,
          String.valueOf(c.swapError().getMessage()));
      return;
    }
    currentBank = BankRef.of(update);
    activeBankVersion = c.swappedVersion();
    metrics.bankSwapped(c.swappedVersion(), detector.modelVersion());
    output.collect(
        BANK_STATUS,
        new StreamRecord<>(
            status(c.swappedVersion(), update.getBankUri(), true, update.getReason().toString())));
    LOG.info(
        "bank {} swapped in ({}, {})", c.swappedVersion(), update.getReason(), update.getBankUri());
  }

  private void emitStatus(String version, String uri, boolean active, String reason) {
    output.collect(BANK_STATUS, new StreamRecord<>(status(version, uri, active, reason)));
  }

  /** A status record of this subtask; {@code activeBankVersion} must be current. */
  private BankStatus status(String version, String uri, boolean active, String reason) {
    var task = getRuntimeContext().getTaskInfo();
    return BankStatus.newBuilder()
        .setBankVersion(version)
        .setBankUri(uri)
        .setStatus(active ? BankStatusCode.ACTIVE : BankStatusCode.REFUSED)
        .setReason(reason)
        .setActiveBankVersion(active ? version : activeBankVersion)
        .setModelVersion(detector.modelVersion())
        .setSubtask(task.getIndexOfThisSubtask())
        .setParallelism(task.getNumberOfParallelSubtasks())
        .setTime(
            java.time.Instant.ofEpochMilli(getProcessingTimeService().getCurrentProcessingTime()))
        .build();
  }

  /** The bank still in use after a refused swap: the last one swapped in, or the configured one. */
  private String bankInUse() {
    return currentBank != null ? currentBank.version : metrics.configuredBank;
  }

  /** Decodes and scores one batch (on the worker); a frame that fails alone is a dead letter. */
  private Completion run(List<Pending> batch, long submitted) {
    List<Failure> failures = new ArrayList<>();
    List<Long> waits = new ArrayList<>(batch.size());
    List<Pending> decoded = new ArrayList<>(batch.size());
    List<FloatImage> images = new ArrayList<>(batch.size());
    for (Pending p : batch) {
      waits.add(Math.max(0, submitted - p.arrivedMs()));
      try {
        images.add(payloads.decode(p.in().frame));
        decoded.add(p);
      } catch (FrameRejectedException e) {
        failures.add(new Failure(p.in(), e.reason(), e.getMessage()));
      }
    }
    if (images.isEmpty()) {
      return new Completion(List.of(), failures, 0, 0, waits, null, null, null);
    }
    List<Detection> detections;
    long t0 = System.nanoTime();
    try {
      detections = detector.detect(images);
    } catch (Exception e) {
      // one bad frame must not take its batch down: score them one by one, dead-letter what fails
      LOG.warn("batch of {} failed ({}); retrying frame by frame", images.size(), e.toString());
      detections = new ArrayList<>(images.size());
      for (int i = 0; i < images.size(); i++) {
        try {
          detections.add(detector.detect(List.of(images.get(i))).get(0));
        } catch (Exception single) {
          detections.add(null);
          failures.add(
              new Failure(
                  decoded.get(i).in(),
                  DeadLetterReason.INFERENCE_FAILED,
                  "inference failed: " + single));
        }
      }
    }
    long ms = (System.nanoTime() - t0) / 1_000_000;
    List<ScoredFrame> scored = new ArrayList<>(images.size());
    for (int i = 0; i < images.size(); i++) {
      Detection d = detections.get(i);
      if (d != null) {
        FloatImage image = images.get(i);
        scored.add(
            ScoredFrame.of(
                decoded.get(i).in(),
                image.width(),
                image.height(),
                d,
                detector,
                candidatePatches,
                keepPixels));
      }
    }
    return new Completion(scored, failures, images.size(), ms, waits, null, null, null);
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
    metrics.deadLetters.inc();
  }

  @Override
  public void close() throws Exception {
    try {
      if (timer != null) {
        timer.cancel(false);
      }
      if (worker != null) {
        worker.close();
        if (!worker.awaitStopped(60_000)) {
          LOG.warn("inference worker did not stop within 60 s; closing the detector anyway");
        }
      }
      if (detector != null) {
        detector.close();
      }
    } finally {
      super.close();
    }
  }

  /** The open operator's metrics (tests in this package). */
  Metrics metricsForTest() {
    return metrics;
  }

  /** The stage's metrics; names are documented in docs/metrics.md. */
  static final class Metrics {
    final Counter framesScored;
    final Counter deadLetters;
    final Histogram batchSize;
    final Histogram inferenceLatency;
    final Histogram queueWait;
    private final Counter bankSwaps;
    private final Counter bankRejected;
    private final MetricGroup group;
    final String configuredBank;
    private volatile String bankVersion;

    Metrics(MetricGroup group, FrameDetector detector) {
      this.group = group;
      framesScored = group.counter("framesScored");
      deadLetters = group.counter("inferenceDeadLetters");
      batchSize = group.histogram("batchSize", new DescriptiveStatisticsHistogram(1000));
      inferenceLatency =
          group.histogram("inferenceLatencyMs", new DescriptiveStatisticsHistogram(1000));
      queueWait = group.histogram("queueWaitMs", new DescriptiveStatisticsHistogram(1000));
      String provider = detector.executionProvider();
      group.gauge("executionProvider", () -> provider);
      int fellBack = detector.fellBackToCpu() ? 1 : 0;
      group.gauge("cudaFallback", () -> fellBack);
      bankSwaps = group.counter("bankSwaps");
      bankRejected = group.counter("bankRejected");
      configuredBank = detector.bankVersion();
      bankVersion = configuredBank;
      registerVersions(configuredBank, detector.modelVersion());
    }

    /**
     * The versions as labels (Prometheus drops string gauges): bank="<version>", model="<version>";
     * 1 while in use, 0 once retired.
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

    long bankRejectedCount() {
      return bankRejected.getCount();
    }

    String bankVersion() {
      return bankVersion;
    }
  }
}
