package io.tailwatch.flink.ingest;

import io.tailwatch.schemas.DeadLetter;
import io.tailwatch.schemas.DeadLetterReason;
import java.nio.ByteBuffer;
import java.time.Instant;

/** Builds dead-letter records. */
public final class DeadLetters {
  /** Longest reason text kept; the rest of an exception message is cut. */
  static final int MAX_REASON_CHARS = 2000;

  private DeadLetters() {}

  public static DeadLetter of(
      String topic,
      int partition,
      long offset,
      byte[] key,
      DeadLetterReason code,
      String reason,
      byte[] rawValue,
      long now) {
    String text = reason == null ? code.name() : reason;
    if (text.length() > MAX_REASON_CHARS) {
      text = text.substring(0, MAX_REASON_CHARS) + "...";
    }
    return DeadLetter.newBuilder()
        .setOriginTopic(topic == null ? "" : topic)
        .setOriginPartition(partition)
        .setOriginOffset(offset)
        .setKey(key == null ? null : ByteBuffer.wrap(key))
        .setReasonCode(code)
        .setReason(text)
        .setFailedAt(Instant.ofEpochMilli(now))
        .setRawValue(rawValue == null ? null : ByteBuffer.wrap(rawValue))
        .build();
  }
}
