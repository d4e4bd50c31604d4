package io.tailwatch.schemas;

/**
 * Bad bytes, with the kind of problem so the caller can route the record to the dead-letter topic.
 */
public final class AvroDecodeException extends Exception {
  /** What went wrong. */
  public enum Kind {
    UNDECODABLE(DeadLetterReason.UNDECODABLE),
    UNKNOWN_SCHEMA(DeadLetterReason.UNKNOWN_SCHEMA);

    private final DeadLetterReason reason;

    Kind(DeadLetterReason reason) {
      this.reason = reason;
    }

    public DeadLetterReason deadLetterReason() {
      return reason;
    }
  }

  private final Kind kind;

  public AvroDecodeException(Kind kind, String message) {
    super(message);
    this.kind = kind;
  }

  public AvroDecodeException(Kind kind, String message, Throwable cause) {
    super(message, cause);
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }
}
