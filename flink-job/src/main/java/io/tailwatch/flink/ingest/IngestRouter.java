package io.tailwatch.flink.ingest;

import io.tailwatch.schemas.DeadLetter;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MeterView;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * Sends valid frames on and dead letters to a side output, counting both ({@code framesIn}, {@code
 * deadLetters}).
 */
public final class IngestRouter extends ProcessFunction<Ingested, Ingested> {
  private static final long serialVersionUID = 1L;
  public static final OutputTag<DeadLetter> DEAD_LETTERS = new OutputTag<>("dead-letters") {};

  private transient Counter framesIn;
  private transient Counter deadLetters;

  @Override
  public void open(OpenContext context) {
    framesIn = getRuntimeContext().getMetricGroup().counter("framesIn");
    getRuntimeContext().getMetricGroup().meter("framesInPerSecond", new MeterView(framesIn));
    deadLetters = getRuntimeContext().getMetricGroup().counter("deadLetters");
  }

  @Override
  public void processElement(Ingested in, Context ctx, Collector<Ingested> out) {
    if (in.isDeadLetter()) {
      deadLetters.inc();
      ctx.output(DEAD_LETTERS, in.deadLetter);
    } else {
      framesIn.inc();
      out.collect(in);
    }
  }
}
