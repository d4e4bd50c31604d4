package io.tailwatch.flink.adapt;

import io.tailwatch.detector.bank.MemoryBank;
import io.tailwatch.detector.online.BankMerger;
import io.tailwatch.detector.online.WeightedReservoir;
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
    getMetricGroup().gauge("pendingCandidates", () -> pending.size());
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

  private void build() throws Exception {
    List<WeightedReservoir.Entry<BankCandidate>> entries = new ArrayList<>(pending.size());
    for (BankCandidate c : pending) {
      entries.add(new WeightedReservoir.Entry<>(c.key, c));
    }
    pending.clear();
    List<WeightedReservoir.Entry<BankCandidate>> sample =
        WeightedReservoir.merge(entries, sampleSize);
    MemoryBank bank;
    try {
      bank = baseBank();
    } catch (Exception e) {
      failed.inc();
      LOG.error(
          "bank builder: base bank {} cannot be loaded, {} candidates dropped: {}",
          base,
          sample.size(),
          e.getMessage());
      return;
    }
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
    long next = sequence + 1;
    // named after its content once merged: the sequence alone repeats after a restart from scratch
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
            next);
    if (r.added() == 0) {
      LOG.info(
          "bank builder: {} candidate frames add nothing to {}; no new version",
          sample.size(),
          base.version);
      return;
    }
    String version = provisional + "-" + r.bank().header().bodySha256().substring(0, 12);
    MemoryBank merged = r.bank().withVersion(version);
    Path file = Path.of(directory).resolve(version + ".twb");
    merged.write(file);
    sequence = next;
    base = new BankRef();
    base.version = version;
    base.uri = file.toAbsolutePath().toUri().toString();
    base.sha256 = merged.header().bodySha256();
    base.createdAt = getProcessingTimeService().getCurrentProcessingTime();
    baseBank = merged;
    built.inc();
    LOG.info(
        "bank builder: {} = {} + {} vectors from {} frames ({} vectors{}), written to {}",
        version,
        merged.header().params().get("parent"),
        r.added(),
        sample.size(),
        merged.count(),
        r.capped() ? ", capped" : "",
        file);
    output.collect(
        new StreamRecord<>(
            BankUpdate.newBuilder()
                .setBankVersion(version)
                .setModelVersion(merged.header().backbone().id())
                .setLineId(null)
                .setModality(Modality.CAMERA)
                .setBankUri(base.uri)
                .setSha256(base.sha256)
                .setBackboneId(merged.header().backbone().id())
                .setDimension(dim)
                .setCount(merged.count())
                .setCreatedAt(Instant.ofEpochMilli(base.createdAt))
                .setReason("scheduled-update")
                .build()));
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
    pendingState.update(pending);
    baseState.update(List.of(base));
    sequenceState.update(List.of(sequence));
  }
}
