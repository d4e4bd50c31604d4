package io.tailwatch.flink.adapt;

import io.tailwatch.detector.bank.MemoryBank;
import io.tailwatch.detector.knn.IvfIndex;
import io.tailwatch.detector.knn.OnnxKnnScorer;
import io.tailwatch.detector.online.BankMerger;
import io.tailwatch.detector.online.WeightedReservoir;
import io.tailwatch.detector.onnx.ExecutionProvider;
import io.tailwatch.schemas.BankUpdate;
import io.tailwatch.schemas.Modality;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.metrics.Counter;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.TwoInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;

/**
 * The bank builder (parallelism 1; ALGORITHMS.md §6.3). Collects the scoring subtasks' reservoirs,
 * keeps the {@code sampleSize} largest keys (a weighted sample of all normal frames of the
 * interval), merges their patch vectors into the current bank ({@link BankMerger}), writes the new
 * version (checksummed, named by version and checksum, never overwritten) and emits its
 * announcement, which the job writes to the control topic exactly once. The subtasks hand over at
 * the same wall-clock instants; the builder waits {@code gatherMs} after the first candidate for
 * the others. Announcements read back from the control topic (second input) move the builder's
 * base: its own ones change nothing, an operator's rollback makes the announced version the base of
 * the next update.
 */
public final class BankUpdateBuilder extends AbstractStreamOperator<BankUpdate>
    implements TwoInputStreamOperator<BankCandidate, BankUpdate, BankUpdate> {
  private static final long serialVersionUID = 1L;

  private final String initialBank;
  private final String directory;
  private final int sampleSize;
  private final int maxAdded;
  private final int maxBankSize;
  private final long gatherMs;
  private final String weighting;
  private final double resolutionQuantile;

  private transient List<BankCandidate> pending;
  private transient ListState<BankCandidate> pendingState;
  private transient ListState<BankRef> baseState;
  private transient ListState<Long> sequenceState;
  private transient BankRef base;
  private transient long sequence;
  private transient boolean buildScheduled;
  private transient MemoryBank baseBank;
  private transient String rootVersion;
  private transient Counter built;
  private transient Counter failed;

  /** Candidates of the build running on the worker: kept in state until its version is out. */
  private transient List<BankCandidate> building;

  private transient io.tailwatch.flink.runtime.OperatorWorker worker;
  private transient java.util.concurrent.CompletableFuture<Built> running;

  /**
   * @param resolutionQuantile quantile of the base bank's nearest-neighbour spacing within which a
   *     candidate counts as covered ({@link BankMerger#resolution2}; 0 = only exact copies are)
   */
  public BankUpdateBuilder(
      String initialBank,
      String directory,
      int sampleSize,
      int maxAdded,
      int maxBankSize,
      long gatherMs,
      String weighting,
      double resolutionQuantile) {
    if (sampleSize < 1 || maxAdded < 1 || maxBankSize < 1 || gatherMs < 0) {
      throw new IllegalArgumentException(
          "bank builder needs sampleSize, maxAdded, maxBankSize >= 1 and gather >= 0,"
              + " were "
              + sampleSize
              + ", "
              + maxAdded
              + ", "
              + maxBankSize
              + ", "
              + gatherMs);
    }
    if (BankMerger.quantileProblem(resolutionQuantile) != null) {
      throw new IllegalArgumentException(
          "bank builder resolution quantile " + BankMerger.quantileProblem(resolutionQuantile));
    }
    this.resolutionQuantile = resolutionQuantile;
    this.initialBank = initialBank;
    this.directory = directory;
    this.sampleSize = sampleSize;
    this.maxAdded = maxAdded;
    this.maxBankSize = maxBankSize;
    this.gatherMs = gatherMs;
    this.weighting = weighting;
  }

  @Override
  public void initializeState(StateInitializationContext context) throws Exception {
    super.initializeState(context);
    pending = new ArrayList<>();
    building = new ArrayList<>();
    pendingState =
        context
            .getOperatorStateStore()
            .getListState(
                new ListStateDescriptor<>(
                    "pending-candidates", TypeInformation.of(BankCandidate.class)));
    baseState =
        context
            .getOperatorStateStore()
            .getListState(
                new ListStateDescriptor<>("base-bank", TypeInformation.of(BankRef.class)));
    sequenceState =
        context
            .getOperatorStateStore()
            .getListState(
                new ListStateDescriptor<>("update-sequence", TypeInformation.of(Long.class)));
    if (context.isRestored()) {
      pendingState.get().forEach(pending::add);
      baseState.get().forEach(r -> base = r);
      sequenceState.get().forEach(s -> sequence = s);
    }
  }

  @Override
  public void open() throws Exception {
    super.open();
    MemoryBank initial = MemoryBank.load(Path.of(initialBank));
    rootVersion = initial.header().bankVersion();
    if (base == null) {
      base = new BankRef();
      base.version = rootVersion;
      base.uri = Path.of(initialBank).toAbsolutePath().toUri().toString();
      base.sha256 = initial.header().bodySha256();
      baseBank = initial;
    }
    Files.createDirectories(Path.of(directory));
    built = getMetricGroup().counter("bankUpdatesBuilt");
    failed = getMetricGroup().counter("bankUpdatesFailed");
    getMetricGroup().gauge("pendingCandidates", () -> pending.size() + building.size());
    getMetricGroup().gauge("bankBuildRunning", () -> running == null ? 0 : 1);
    worker = io.tailwatch.flink.runtime.OperatorWorker.start(this, "tailwatch-bank-builder");
    if (!pending.isEmpty()) {
      scheduleBuild();
    }
  }

  @Override
  public void processElement1(StreamRecord<BankCandidate> element) {
    pending.add(element.getValue());
    if (!buildScheduled) {
      scheduleBuild();
    }
  }

  private void scheduleBuild() {
    buildScheduled = true;
    long now = getProcessingTimeService().getCurrentProcessingTime();
    getProcessingTimeService()
        .registerTimer(
            now + gatherMs,
            t -> {
              buildScheduled = false;
              build();
            });
  }

  @Override
  public void processElement2(StreamRecord<BankUpdate> element) {
    BankUpdate u = element.getValue();
    if (u.getLineId() != null || u.getBankVersion().equals(base.version)) {
      return;
    }
    LOG.info(
        "bank builder: base is now {} ({}) as announced ({})",
        u.getBankVersion(),
        u.getBankUri(),
        u.getReason());
    base = BankRef.of(u);
    baseBank = null;
  }

  /** What the worker made of one build: a new version, or null fields when it added nothing. */
  private record Built(
      BankRef from,
      MemoryBank base,
      String version,
      MemoryBank merged,
      Path file,
      int added,
      boolean capped,
      int frames) {}

  /**
   * Takes the pending candidates and merges them on the worker: loading the base, the merge (a
   * greedy coreset, long at large caps) and the write never hold the task thread, so checkpoints
   * pass while a build runs. One build at a time; candidates that arrive meanwhile wait for the
   * next. The announcement goes out on the task thread when the build is done.
   */
  private void build() throws Exception {
    if (running != null) {
      scheduleBuild(); // the running build's base is the next one's: wait for it
      return;
    }
    if (pending.isEmpty()) {
      return;
    }
    building = pending;
    pending = new ArrayList<>();
    List<WeightedReservoir.Entry<BankCandidate>> entries = new ArrayList<>(building.size());
    for (BankCandidate c : building) {
      entries.add(new WeightedReservoir.Entry<>(c.key, c));
    }
    List<WeightedReservoir.Entry<BankCandidate>> sample =
        WeightedReservoir.merge(entries, sampleSize);
    long next = sequence + 1;
    BankRef from = base;
    MemoryBank loaded = baseBank;
    running =
        worker.submit(
            () -> merge(from, loaded, sample, next), this::completeBuild, "bank build done");
  }

  /** On the task thread: announces what the finished build wrote (or logs why it did not). */
  private void completeBuild() throws Exception {
    if (running == null || !running.isDone()) {
      return;
    }
    java.util.concurrent.CompletableFuture<Built> done = running;
    running = null;
    List<BankCandidate> used = building;
    building = new ArrayList<>();
    Built b;
    try {
      b = done.get();
    } catch (java.util.concurrent.ExecutionException e) {
      failed.inc();
      LOG.error(
          "bank builder: build failed, {} candidate frames dropped: {}",
          used.size(),
          String.valueOf(e.getCause()));
      schedulePending();
      return;
    }
    if (b.from() != base) {
      // an operator moved the base (a rollback) while this build ran on the old one: build again
      LOG.info(
          "bank builder: base moved to {} during a build from {}; its {} candidate frames go to"
              + " the next build",
          base.version,
          b.from().version,
          used.size());
      pending.addAll(0, used);
      schedulePending();
      return;
    }
    if (baseBank == null) {
      baseBank = b.base(); // loaded by the worker: the next build starts from memory
    }
    if (b.version() == null) {
      LOG.info(
          "bank builder: {} candidate frames add nothing to {}; no new version",
          b.frames(),
          base.version);
      schedulePending();
      return;
    }
    MemoryBank merged = b.merged();
    sequence = sequence + 1;
    base = new BankRef();
    base.version = b.version();
    base.uri = b.file().toAbsolutePath().toUri().toString();
    base.sha256 = merged.header().bodySha256();
    base.createdAt = getProcessingTimeService().getCurrentProcessingTime();
    baseBank = merged;
    built.inc();
    LOG.info(
        "bank builder: {} = {} + {} vectors from {} frames ({} vectors{}), written to {}",
        b.version(),
        merged.header().params().get("parent"),
        b.added(),
        b.frames(),
        merged.count(),
        b.capped() ? ", capped" : "",
        b.file());
    output.collect(
        new StreamRecord<>(
            BankUpdate.newBuilder()
                .setBankVersion(b.version())
                .setModelVersion(merged.header().backbone().id())
                .setLineId(null)
                .setModality(Modality.CAMERA)
                .setBankUri(base.uri)
                .setSha256(base.sha256)
                .setBackboneId(merged.header().backbone().id())
                .setDimension(merged.dim())
                .setCount(merged.count())
                .setCreatedAt(Instant.ofEpochMilli(base.createdAt))
                .setReason("scheduled-update")
                .build()));
    schedulePending();
  }

  private void schedulePending() {
    if (!pending.isEmpty() && !buildScheduled) {
      scheduleBuild();
    }
  }

  /** On the worker: the merge of {@code sample} into {@code from}, written to its file. */
  private Built merge(
      BankRef from,
      MemoryBank loaded,
      List<WeightedReservoir.Entry<BankCandidate>> sample,
      long next) {
    try {
      MemoryBank bank =
          loaded != null ? loaded : MemoryBank.load(Path.of(URI.create(from.uri)), from.sha256);
      int dim = bank.dim();
      int n = 0;
      for (WeightedReservoir.Entry<BankCandidate> e : sample) {
        if (e.item().dim == dim) {
          n += e.item().count;
        }
      }
      float[] vectors = new float[n * dim];
      float[] distances = new float[n];
      int at = 0;
      double minWeight = Double.POSITIVE_INFINITY;
      double maxWeight = 0;
      for (WeightedReservoir.Entry<BankCandidate> e : sample) {
        BankCandidate c = e.item();
        if (c.dim != dim) {
          LOG.warn(
              "bank builder: candidate {} has dimension {}, the bank {}; skipped",
              c.frameId,
              c.dim,
              dim);
          continue;
        }
        System.arraycopy(c.vectors, 0, vectors, at * dim, c.count * dim);
        System.arraycopy(c.distances, 0, distances, at, c.count);
        at += c.count;
        minWeight = Math.min(minWeight, c.weight);
        maxWeight = Math.max(maxWeight, c.weight);
      }
      // named after its content once merged: the sequence alone repeats after a restart
      String provisional = rootVersion + "-u" + next;
      BankMerger.Result r =
          BankMerger.merge(
              bank,
              vectors,
              distances,
              n,
              maxAdded,
              maxBankSize,
              BankMerger.resolution2(bank, resolutionQuantile, 0),
              provisional,
              Map.of(
                  "frames",
                  sample.size(),
                  "weighting",
                  weighting,
                  "frameWeightMin",
                  sample.isEmpty() ? 0 : minWeight,
                  "frameWeightMax",
                  maxWeight),
              next,
              (done, total) -> {
                if (Thread.currentThread().isInterrupted()) {
                  throw new java.util.concurrent.CancellationException("bank builder closing");
                }
              });
      if (r.added() == 0) {
        return new Built(from, bank, null, null, null, 0, false, sample.size());
      }
      MemoryBank result = r.bank();
      if (bank.header().hasIvf()) {
        result = reindex(bank, result, next);
      }
      String version = provisional + "-" + result.header().bodySha256().substring(0, 12);
      MemoryBank merged = result.withVersion(version);
      Path file = Path.of(directory).resolve(version + ".twb");
      merged.write(file);
      return new Built(from, bank, version, merged, file, r.added(), r.capped(), sample.size());
    } catch (java.util.concurrent.CancellationException e) {
      throw e;
    } catch (Exception e) {
      throw new java.util.concurrent.CompletionException(
          "bank builder: from " + from + ": " + e.getMessage(), e);
    }
  }

  /**
   * The merged bank with a fresh IVF index, as the current bank had one: the lists follow the
   * current bank's by the sqrt(N) rule (lists x sqrt(new / old rows)). Runs on the worker; a
   * closing task stops it between k-means steps.
   */
  static MemoryBank reindex(MemoryBank current, MemoryBank merged, long seed) throws Exception {
    int lists =
        (int)
            Math.max(
                1,
                Math.min(
                    merged.count(),
                    Math.round(
                        current.ivf().lists()
                            * Math.sqrt(merged.count() / (double) current.count()))));
    try (OnnxKnnScorer fp32 = OnnxKnnScorer.open(ExecutionProvider.CPU, 1)) {
      return IvfIndex.build(
          merged,
          lists,
          IvfIndex.DEFAULT_ITERATIONS,
          seed,
          fp32,
          (done, total) -> {
            if (Thread.currentThread().isInterrupted()) {
              throw new java.util.concurrent.CancellationException("bank builder closing");
            }
          });
    }
  }

  /** Waits for the running build, if any, and announces it (tests, end of a bounded input). */
  void awaitBuild() throws Exception {
    if (running != null) {
      try {
        running.get();
      } catch (java.util.concurrent.ExecutionException e) {
        // reported by completeBuild
      }
      completeBuild();
    }
  }

  /** Whether a build is running on the worker (tests). */
  boolean buildRunning() {
    return running != null && !running.isDone();
  }

  /** Waits until the worker thread has stopped after close (tests). */
  boolean awaitWorkerStopped(long ms) throws InterruptedException {
    return worker.awaitStopped(ms);
  }

  @Override
  public void finish() throws Exception {
    awaitBuild();
    super.finish();
  }

  @Override
  public void close() throws Exception {
    try {
      if (worker != null) {
        worker.close(); // a merge in progress stops at its next progress step
      }
    } finally {
      super.close();
    }
  }

  private MemoryBank baseBank() throws Exception {
    if (baseBank == null) {
      baseBank = MemoryBank.load(Path.of(URI.create(base.uri)), base.sha256);
    }
    return baseBank;
  }

  @Override
  public void snapshotState(StateSnapshotContext context) throws Exception {
    super.snapshotState(context);
    // a build still running: its candidates are built again after a restore from this checkpoint
    List<BankCandidate> all = new ArrayList<>(building.size() + pending.size());
    all.addAll(building);
    all.addAll(pending);
    pendingState.update(all);
    baseState.update(List.of(base));
    sequenceState.update(List.of(sequence));
  }
}
