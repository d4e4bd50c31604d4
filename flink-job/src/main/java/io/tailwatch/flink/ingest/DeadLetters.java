package io.tailwatch.flink.ingest;

import io.tailwatch.schemas.DeadLetter;
import io.tailwatch.schemas.DeadLetterReason;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;

/** Builds dead-letter records. */
public final class DeadLetters {
  /** Longest reason text kept; the rest of an exception message is cut. */
  public static final int MAX_REASON_CHARS = 2000;

  /** Longest key kept (Kafka keys are ids; a larger one is cut like the value). */
  public static final int MAX_KEY_BYTES = 1024;

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
        .setKey(key == null ? null : ByteBuffer.wrap(key, 0, Math.min(key.length, MAX_KEY_BYTES)))
        .setReasonCode(code)
        .setReason(text)
        .setFailedAt(Instant.ofEpochMilli(now))
        .setRawValue(rawValue == null ? null : ByteBuffer.wrap(rawValue))
        .setRawSize(rawValue == null ? -1 : rawValue.length)
        .setRawSha256(rawValue == null ? null : sha256(ByteBuffer.wrap(rawValue)))
        .build();
  }

  /**
   * The dead letter with at most {@code maxPayloadBytes} of its raw value (the size and sha256 of
   * the whole value kept), so that it always fits the producer's request size however large the
   * record that failed; the same letter when it already fits.
   */
  public static DeadLetter capped(DeadLetter letter, int maxPayloadBytes) {
    ByteBuffer raw = letter.getRawValue();
    if (raw == null || raw.remaining() <= maxPayloadBytes) {
      return letter;
    }
    byte[] head = new byte[maxPayloadBytes];
    raw.duplicate().get(head);
    // field by field, not newBuilder(letter): that would deep-copy the whole raw value first
    boolean known = letter.getRawSha256() != null;
    return DeadLetter.newBuilder()
        .setOriginTopic(letter.getOriginTopic())
        .setOriginPartition(letter.getOriginPartition())
        .setOriginOffset(letter.getOriginOffset())
        .setKey(letter.getKey())
        .setReasonCode(letter.getReasonCode())
        .setReason(letter.getReason())
        .setFailedAt(letter.getFailedAt())
        .setRawValue(ByteBuffer.wrap(head))
        .setRawSize(known ? letter.getRawSize() : raw.remaining())
        .setRawSha256(known ? letter.getRawSha256() : sha256(raw.duplicate()))
        .setRawTruncated(true)
        .build();
  }

  static String sha256(ByteBuffer bytes) {
    try {
      MessageDigest d = MessageDigest.getInstance("SHA-256");
      d.update(bytes);
      return HexFormat.of().formatHex(d.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }
}
