package io.tailwatch.flink.ingest;

import io.tailwatch.schemas.DeadLetterReason;

/** A frame that cannot be processed; the message names the field and the limit. */
public final class FrameRejectedException extends Exception {
  private static final long serialVersionUID = 1L;
  private final DeadLetterReason reason;

  public FrameRejectedException(DeadLetterReason reason, String message) {
    super(message);
    this.reason = reason;
  }

  public FrameRejectedException(DeadLetterReason reason, String message, Throwable cause) {
    super(message, cause);
    this.reason = reason;
  }

  public DeadLetterReason reason() {
    return reason;
  }
}
