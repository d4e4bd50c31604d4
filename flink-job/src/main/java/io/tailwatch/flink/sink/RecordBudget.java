package io.tailwatch.flink.sink;

import io.tailwatch.flink.inference.HeatmapFormat;
import io.tailwatch.flink.inference.Verdicts;
import io.tailwatch.flink.ingest.DeadLetters;
import io.tailwatch.flink.ingest.FramePayloads;

/**
 * Upper bounds on the records the job writes, from its configuration alone: every variable part of
 * an alert, score or dead letter is capped at ingest or before the sink (metadata, heatmap side,
 * region count, dead-letter payload, key and reason), so the largest record is known at startup and
 * checked against the producers' {@code max.request.size} there, not discovered by a {@code
 * RecordTooLargeException} that restarts the job in a loop.
 */
public final class RecordBudget {
  /**
   * Scalars, enums, timestamps, bank/model version strings, Avro length prefixes and Kafka's record
   * and batch framing (about 100 bytes): a generous allowance.
   */
  static final int FIXED_BYTES = 8 * 1024;

  /** An Avro Region: six varints and doubles. */
  static final int REGION_BYTES = 48;

  /** Kafka topic names are at most 249 characters. */
  static final int TOPIC_BYTES = 249;

  private RecordBudget() {}

  /**
   * The largest PNG of a {@code side} x {@code side} image of {@code channels} bytes a pixel: raw
   * rows (plus a filter byte each) in deflate's stored blocks when nothing compresses (5 bytes per
   * 65,535-byte block; ImageIO's writer uses smaller blocks, so 16,383 here), the zlib frame, and
   * the PNG chunks.
   */
  public static long pngBound(int side, int channels) {
    long raw = (long) channels * side * side + side;
    long deflated = raw + 5 * ((raw + 16_382) / 16_383) + 6;
    return deflated + 1024;
  }

  /** The largest alert: heatmap (when on), metadata, regions. */
  public static long alertBound(boolean heatmaps, int heatmapMaxSide, HeatmapFormat format) {
    return (heatmaps ? pngBound(heatmapMaxSide, format.channels()) : 0)
        + FramePayloads.MAX_METADATA_BYTES
        + (long) Verdicts.MAX_ALERT_REGIONS * REGION_BYTES
        + FIXED_BYTES;
  }

  /** The largest dead letter: the cut payload, key and reason (3 UTF-8 bytes a char), topic. */
  public static long deadLetterBound(int maxPayloadBytes) {
    return maxPayloadBytes
        + DeadLetters.MAX_KEY_BYTES
        + 3L * (DeadLetters.MAX_REASON_CHARS + 3)
        + TOPIC_BYTES
        + FIXED_BYTES;
  }

  /** The largest score record: a frame's metadata and its scalars. */
  public static long scoreBound() {
    return FramePayloads.MAX_METADATA_BYTES + FIXED_BYTES;
  }
}
