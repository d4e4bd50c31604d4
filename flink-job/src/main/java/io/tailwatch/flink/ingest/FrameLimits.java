package io.tailwatch.flink.ingest;

import java.io.Serializable;

/**
 * What the job accepts.
 *
 * @param claimCheckRoot folder or URI (any scheme Flink's FileSystem knows) claim-check objects
 *     must lie under; null = claim checks refused
 * @param requireSha256 claim checks without payloadSha256 are refused
 */
public record FrameLimits(
    int maxPayloadBytes, int maxSide, String claimCheckRoot, boolean requireSha256)
    implements Serializable {
  /** Claim checks must carry their digest. */
  public FrameLimits(int maxPayloadBytes, int maxSide, String claimCheckRoot) {
    this(maxPayloadBytes, maxSide, claimCheckRoot, true);
  }

  public FrameLimits {
    if (maxPayloadBytes < 1) {
      throw new IllegalArgumentException(
          "maxPayloadBytes must be positive, was " + maxPayloadBytes);
    }
    if (maxSide < 1) {
      throw new IllegalArgumentException("maxSide must be positive, was " + maxSide);
    }
  }
}
