package io.tailwatch.flink.inference;

import io.tailwatch.flink.adapt.Adaptation;
import io.tailwatch.flink.adapt.ScopeKey;
import io.tailwatch.flink.decision.DecisionOperator;
import io.tailwatch.flink.ingest.Ingested;
import io.tailwatch.schemas.BankUpdate;
import io.tailwatch.schemas.FrameScore;
import java.util.List;
import java.util.Queue;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedTwoInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.TwoInputStreamOperatorTestHarness;

/**
 * The inference and decision stages as the job wires them (frames -> inference -> keyed by scope ->
 * decision; control records broadcast to both), each in its own harness, with inference output
 * handed to the decision harness as it is emitted. For tests of behaviour that spans both stages:
 * online thresholds, candidates, drift acceptance, bank swaps and restores.
 */
public final class StagesHarness implements AutoCloseable {
  public final TwoInputStreamOperatorTestHarness<Ingested, BankUpdate, ScoredFrame> inference;
  public final KeyedTwoInputStreamOperatorTestHarness<String, ScoredFrame, BankUpdate, FrameScore>
      decision;
  private final InferenceOperator inferenceOperator;
  private final DecisionOperator decisionOperator;
  private int forwarded;

  public StagesHarness(
      DetectorFactory detector, Adaptation adaptation, int maxBatch, long maxWaitMs)
      throws Exception {
    inferenceOperator =
        new InferenceOperator(detector, InferenceOperatorTest.LIMITS, maxBatch, maxWaitMs)
            .withBankAnnouncements()
            .withBankCandidates(adaptation.bankUpdates() ? adaptation.patchesPerFrame() : 0);
    decisionOperator = new DecisionOperator(adaptation);
    inference = new TwoInputStreamOperatorTestHarness<>(inferenceOperator);
    decision =
        new KeyedTwoInputStreamOperatorTestHarness<>(
            decisionOperator, new ScopeKey(adaptation.perSource()), null, Types.STRING);
  }

  public InferenceOperator inferenceOperator() {
    return inferenceOperator;
  }

  public DecisionOperator decisionOperator() {
    return decisionOperator;
  }

  public void initializeState(Snapshot s) throws Exception {
    inference.initializeState(s.inference);
    decision.initializeState(s.decision);
  }

  public void open() throws Exception {
    inference.open();
    decision.open();
    forward();
  }

  public void processElement(StreamRecord<Ingested> frame) throws Exception {
    inference.processElement1(frame);
    forward();
  }

  /** A control record, broadcast to both stages (as the job does). */
  public void processControl(BankUpdate update) throws Exception {
    inferenceOperator.awaitInFlight(); // the frames before it decided first, for a repeatable test
    forward();
    inference.processElement2(new StreamRecord<>(update));
    forward();
    decision.processElement2(new StreamRecord<>(update));
  }

  public void setProcessingTime(long time) throws Exception {
    inference.setProcessingTime(time);
    inferenceOperator.awaitInFlight(); // a batch its timer started is decided at this time too
    forward();
    decision.setProcessingTime(time);
  }

  /** What a checkpoint barrier does: inference drains and emits, then decision. */
  public void prepareSnapshotPreBarrier(long id) throws Exception {
    inference.prepareSnapshotPreBarrier(id);
    forward();
    decision.prepareSnapshotPreBarrier(id);
  }

  public record Snapshot(OperatorSubtaskState inference, OperatorSubtaskState decision) {}

  public Snapshot snapshot(long id, long time) throws Exception {
    return new Snapshot(inference.snapshot(id, time), decision.snapshot(id, time));
  }

  /** The decisions so far, after every batch submitted has run. */
  public List<FrameScore> extractOutputValues() throws Exception {
    inferenceOperator.awaitInFlight();
    forward();
    return decision.extractOutputValues();
  }

  public <X> Queue<StreamRecord<X>> getSideOutput(org.apache.flink.util.OutputTag<X> tag)
      throws Exception {
    inferenceOperator.awaitInFlight();
    forward();
    return decision.getSideOutput(tag);
  }

  private void forward() throws Exception {
    List<ScoredFrame> out = inference.extractOutputValues();
    for (; forwarded < out.size(); forwarded++) {
      decision.processElement1(new StreamRecord<>(out.get(forwarded)));
    }
  }

  @Override
  public void close() throws Exception {
    try {
      inference.close();
    } finally {
      decision.close();
    }
  }
}
