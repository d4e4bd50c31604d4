package io.tailwatch.flink.decision;

import io.tailwatch.detector.online.OnlineDecision;
import io.tailwatch.detector.online.OnlineScoreStatistics;
import io.tailwatch.detector.online.WeightedReservoir;
import io.tailwatch.flink.adapt.Adaptation;
import io.tailwatch.flink.adapt.BankCandidate;
import io.tailwatch.flink.adapt.ScopeKey;
import io.tailwatch.flink.inference.ScoredFrame;
import io.tailwatch.flink.inference.Verdicts;
import io.tailwatch.schemas.BankUpdate;
import io.tailwatch.schemas.FrameScore;
import io.tailwatch.schemas.Modality;
import io.tailwatch.schemas.ScoreStatistics;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MeterView;
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
 * The decision stage (ALGORITHMS.md §6), keyed by {@link ScopeKey} (line x modality, or x source):
 * judges each scored frame by its scope's threshold, emits a {@link FrameScore} per frame and hands
 * alerted frames to the rendering stage on {@link #TO_RENDER}. Each scope's {@link
 * OnlineScoreStatistics} live in keyed state, so the threshold a frame is judged by is the one its
 * scope has reached, with no feedback loop through Kafka. Normal frames that carry candidate
 * patches are offered to a weighted reservoir, handed to the bank builder on {@link #CANDIDATES}
 * every update interval; scope snapshots go out on {@link #STATISTICS} every statistics interval
 * and at once when a drift starts or ends. The second input (broadcast control records) carries
 * operators' drift acceptances. On a non-keyed stream (adaptation off) it keeps no statistics and
 * judges by the threshold of the bank that scored the frame.
 */
public final class DecisionOperator extends AbstractStreamOperator<FrameScore>
    implements OneInputStreamOperator<ScoredFrame, FrameScore>,
        TwoInputStreamOperator<ScoredFrame, BankUpdate, FrameScore> {
  private static final long serialVersionUID = 1L;
  public static final OutputTag<ScoredFrame> TO_RENDER = new OutputTag<>("alerted-frames") {};
  public static final OutputTag<BankCandidate> CANDIDATES = new OutputTag<>("bank-candidates") {};
  public static final OutputTag<ScoreStatistics> STATISTICS =
      new OutputTag<>("score-statistics") {};

  /**
   * Distinct line ids that get their own metric group; senders choose line ids, so their number is
   * capped.
   */
  static final int MAX_LINE_GROUPS = 256;

  private final Adaptation adaptation;

  private transient ValueState<byte[]> statisticsState;
  private transient Map<String, Scope> scopes;
  private transient WeightedReservoir<BankCandidate> reservoir;
  private transient ListState<BankCandidate> reservoirState;
  private transient Metrics metrics;

  /**
   * Drift acceptances per line id (control records), applied to scopes as they are loaded; in union
   * operator state, since the control offsets are checkpointed and a record read before a restore
   * is not read again.
   */
  private transient Map<String, Long> driftAcceptances;

  private transient ListState<Tuple2<String, Long>> acceptanceState;

  /**
   * Per scope: the time of the drift acceptance last applied, so a restore never applies it twice.
   */
  private transient ValueState<Long> acceptedState;

  public DecisionOperator(Adaptation adaptation) {
    this.adaptation = adaptation;
  }

  /** A scope's live statistics; written back to keyed state before each checkpoint. */
  private static final class Scope {
    final String key;
    final String lineId;
    final String sourceId; // null unless scopes are per source
    final OnlineScoreStatistics stats;
    String bankVersion; // of the bank that scored the scope's last frame
    double fixedThreshold; // that bank's calibrated threshold
    boolean dirty;
    boolean published = true;
    boolean drifting; // as last reported (restored scopes start with their state's)
    long acceptedAt = Long.MIN_VALUE; // the last drift acceptance applied

    Scope(String key, String lineId, String sourceId, OnlineScoreStatistics stats) {
      this.key = key;
      this.lineId = lineId;
      this.sourceId = sourceId;
      this.stats = stats;
      this.drifting = stats.drifting();
    }

    void acceptDrift(long at) {
      stats.acceptDrift();
      acceptedAt = at;
      dirty = true;
      published = false;
    }
  }

  @Override
  public void initializeState(StateInitializationContext context) throws Exception {
    super.initializeState(context);
    scopes = new HashMap<>();
    driftAcceptances = new HashMap<>();
    if (getKeyedStateBackend() != null) {
      // the same name and bytes as the single scoring operator before the stages were split, whose
      // uid this operator keeps: its savepoints restore their statistics here
      statisticsState =
          context
              .getKeyedStateStore()
              .getState(
                  new ValueStateDescriptor<>(
                      "score-statistics", PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO));
      acceptedState =
          context
              .getKeyedStateStore()
              .getState(new ValueStateDescriptor<>("drift-accepted-at", Types.LONG));
    }
    acceptanceState =
        context
            .getOperatorStateStore()
            .getUnionListState(
                new ListStateDescriptor<>(
                    "drift-acceptances", Types.TUPLE(Types.STRING, Types.LONG)));
    if (context.isRestored()) {
      for (Tuple2<String, Long> a : acceptanceState.get()) {
        driftAcceptances.merge(a.f0, a.f1, Math::max);
      }
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
    if (context.isRestored()) {
      for (BankCandidate c : reservoirState.get()) {
        reservoir.add(c.key, c);
      }
    }
  }

  @Override
  public void open() throws Exception {
    super.open();
    metrics = new Metrics(getMetricGroup(), adaptation.perSource());
    if (adaptation.statisticsIntervalMs() > 0 && statisticsState != null) {
      scheduleAligned(adaptation.statisticsIntervalMs(), this::publishStatistics);
    }
    if (adaptation.bankUpdates()) {
      scheduleAligned(adaptation.updateIntervalMs(), this::handOverCandidates);
    }
  }

  /**
   * Runs {@code task} at the next multiple of {@code interval} of wall time, so subtasks act
   * together.
   */
  private void scheduleAligned(long interval, Runnable task) {
    long now = getProcessingTimeService().getCurrentProcessingTime();
    getProcessingTimeService()
        .registerTimer(
            (now / interval + 1) * interval,
            t -> {
              task.run();
              scheduleAligned(interval, task);
            });
  }

  @Override
  public void processElement1(StreamRecord<ScoredFrame> element) throws Exception {
    processElement(element);
  }

  /** A control record: drift acceptances apply here; bank announcements are the inference's. */
  @Override
  public void processElement2(StreamRecord<BankUpdate> element) throws Exception {
    BankUpdate update = element.getValue();
    if (!Adaptation.ACCEPT_DRIFT.equals(update.getReason().toString())
        || update.getLineId() == null) {
      return;
    }
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

  @Override
  public void processElement(StreamRecord<ScoredFrame> element) throws Exception {
    ScoredFrame s = element.getValue();
    long now = getProcessingTimeService().getCurrentProcessingTime();
    Scope scope = scope(s);
    if (scope != null) {
      scope.bankVersion = s.bankVersion;
      scope.fixedThreshold = s.bankThreshold;
    }
    OnlineDecision.Verdict verdict =
        OnlineDecision.judge(
            scope == null ? null : scope.stats,
            s.bankThreshold,
            adaptation.adaptiveThreshold(),
            adaptation.gaussianWeighting(),
            adaptation.weightExponent(),
            s.score);
    s.threshold = verdict.threshold();
    s.decidedAt = now;
    FrameScore score = Verdicts.score(s, verdict.threshold(), now);
    output.collect(new StreamRecord<>(score));
    metrics.frameOut(score);
    if (verdict.alerted()) {
      s.calibrated =
          scope != null && adaptation.adaptiveThreshold() && scope.stats.warmedUp()
              ? scope.stats.cdf(s.score)
              : s.bankCalibrated;
      output.collect(TO_RENDER, new StreamRecord<>(s));
      metrics.alerts.inc();
    }
    if (scope != null) {
      record(scope, s, verdict, now);
    }
  }

  private void record(Scope scope, ScoredFrame s, OnlineDecision.Verdict verdict, long now) {
    String scopeKey = scope.key;
    OnlineDecision.record(
        scope.stats,
        adaptation.bankUpdates() && s.hasCandidates() ? reservoir : null,
        verdict,
        s.score,
        key -> BankCandidate.of(scopeKey, s, verdict.weight(), key));
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
    metrics.statistics(scope.lineId, scope.sourceId, scope.stats);
  }

  private void writeBackStatistics() throws Exception {
    if (statisticsState == null) {
      return;
    }
    for (Scope s : scopes.values()) {
      if (s.dirty) {
        setCurrentKey(s.key);
        statisticsState.update(s.stats.toBytes());
        if (s.acceptedAt != Long.MIN_VALUE) {
          acceptedState.update(s.acceptedAt);
        }
        s.dirty = false;
      }
    }
  }

  @Override
  public void snapshotState(StateSnapshotContext context) throws Exception {
    super.snapshotState(context);
    writeBackStatistics(); // keyed state is snapshotted after this hook
    List<BankCandidate> candidates = new ArrayList<>();
    for (WeightedReservoir.Entry<BankCandidate> e : reservoir.entries()) {
      candidates.add(e.item());
    }
    reservoirState.update(candidates);
    List<Tuple2<String, Long>> acceptances = new ArrayList<>();
    driftAcceptances.forEach((line, at) -> acceptances.add(Tuple2.of(line, at)));
    acceptanceState.update(acceptances);
  }

  @Override
  public void finish() throws Exception {
    writeBackStatistics();
    super.finish();
  }

  /**
   * The scope of a frame, loaded from keyed state on first use; null without keyed state, or for a
   * frame whose key another subtask owns (never on a keyed stream).
   */
  private Scope scope(ScoredFrame frame) throws Exception {
    if (statisticsState == null) {
      return null;
    }
    String key = ScopeKey.of(frame.frame, adaptation.perSource());
    Scope s = scopes.get(key);
    if (s != null) {
      return s;
    }
    var task = getRuntimeContext().getTaskInfo();
    int operatorIndex =
        KeyGroupRangeAssignment.assignKeyToParallelOperator(
            key, task.getMaxNumberOfParallelSubtasks(), task.getNumberOfParallelSubtasks());
    if (operatorIndex != task.getIndexOfThisSubtask()) {
      return null;
    }
    setCurrentKey(key);
    byte[] bytes = statisticsState.value();
    OnlineScoreStatistics stats = restoredStatistics(key, bytes);
    s =
        new Scope(
            key,
            frame.frame.getLineId(),
            adaptation.perSource() ? frame.frame.getSourceId() : null,
            stats);
    Long applied = acceptedState.value();
    s.acceptedAt = applied == null ? Long.MIN_VALUE : applied;
    Long accepted = driftAcceptances.get(s.lineId);
    if (accepted != null && accepted > s.acceptedAt) {
      if (bytes != null) {
        s.acceptDrift(accepted);
        LOG.warn("line {}: drift accepted, statistics of scope {} start again", s.lineId, key);
      } else {
        // a scope that starts after the acceptance has nothing to restart
        s.acceptedAt = accepted;
        s.dirty = true;
      }
    }
    scopes.put(key, s);
    return s;
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
      metrics.statisticsResets.inc();
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
        .setThreshold(
            OnlineDecision.threshold(st, s.fixedThreshold, adaptation.adaptiveThreshold()))
        .setAlertRate(st.alertRate())
        .setBankVersion(s.bankVersion)
        .setDriftActive(drift.active())
        .setDriftShare(drift.share())
        .setDriftWindow(drift.window())
        .setDriftSince(drift.since())
        .setDriftEvents(drift.events())
        .setDriftMedianScore(Double.isNaN(drift.medianScore()) ? null : drift.medianScore())
        .setDriftMaxScore(Double.isNaN(drift.maxScore()) ? null : drift.maxScore())
        .build();
  }

  /** Hands this subtask's reservoir to the bank builder and starts a new one. */
  private void handOverCandidates() {
    List<WeightedReservoir.Entry<BankCandidate>> picked = reservoir.drain();
    for (WeightedReservoir.Entry<BankCandidate> e : picked) {
      output.collect(CANDIDATES, new StreamRecord<>(e.item()));
    }
    metrics.candidates.inc(picked.size());
  }

  /** The open operator's metrics (tests). */
  @org.apache.flink.annotation.VisibleForTesting
  public Metrics metricsForTest() {
    return metrics;
  }

  /** The stage's metrics; names are documented in docs/metrics.md. */
  public static final class Metrics {
    final Counter framesOut;
    final Counter alerts;
    final Histogram endToEndLatency;
    final Counter candidates;
    final Counter statisticsResets;
    private final LineMetrics lines;
    private final boolean perSource; // line metrics per line x source, as the statistics scopes

    Metrics(org.apache.flink.metrics.MetricGroup group, boolean perSource) {
      this.perSource = perSource;
      framesOut = group.counter("framesOut");
      group.meter("framesOutPerSecond", new MeterView(framesOut));
      alerts = group.counter("alerts");
      endToEndLatency =
          group.histogram("endToEndLatencyMs", new DescriptiveStatisticsHistogram(1000));
      candidates = group.counter("bankCandidates");
      statisticsResets = group.counter("statisticsResets");
      lines = new LineMetrics(group, MAX_LINE_GROUPS);
    }

    void statistics(String lineId, String sourceId, OnlineScoreStatistics stats) {
      lines.of(lineId, sourceId).statistics(stats);
    }

    void frameOut(FrameScore score) {
      framesOut.inc();
      endToEndLatency.update(score.getLatencyMs());
      lines.of(score.getLineId(), perSource ? score.getSourceId() : null).frame(score);
    }

    public long statisticsResets() {
      return statisticsResets.getCount();
    }
  }
}
