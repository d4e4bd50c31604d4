package io.tailwatch.flink.sink;

import io.tailwatch.flink.ingest.DeadLetters;
import io.tailwatch.schemas.DeadLetter;
import org.apache.flink.api.common.functions.MapFunction;

/**
 * Cuts every dead letter's raw value to {@code dead-letters.max-payload-bytes} before the sink (the
 * whole value's size and sha256 stay in the letter): a record that failed because it is large must
 * not fail again at the producer's {@code max.request.size} and restart the job.
 */
public final class DeadLetterCap implements MapFunction<DeadLetter, DeadLetter> {
  private static final long serialVersionUID = 1L;
  private final int maxPayloadBytes;

  public DeadLetterCap(int maxPayloadBytes) {
    if (maxPayloadBytes < 0) {
      throw new IllegalArgumentException(
          "dead-letters.max-payload-bytes must not be negative, was " + maxPayloadBytes);
    }
    this.maxPayloadBytes = maxPayloadBytes;
  }

  @Override
  public DeadLetter map(DeadLetter letter) {
    return DeadLetters.capped(letter, maxPayloadBytes);
  }
}
