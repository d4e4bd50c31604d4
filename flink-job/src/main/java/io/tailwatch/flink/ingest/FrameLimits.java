package io.tailwatch.flink.ingest;

import java.io.Serializable;

/**
 * What the job accepts.
 *
 * @param claimCheckRoot folder or URI (any scheme Flink's FileSystem knows) claim-check objects
 *     must lie under; null = claim checks refused
 * @param maxPixels largest width x height (it bounds a frame's heap: {@code FrameMemory})
 * @param requireSha256 claim checks without payloadSha256 are refused
 */
public record FrameLimits(
    int maxPayloadBytes, int maxSide, long maxPixels, String claimCheckRoot, boolean requireSha256)
    implements Serializable {
  /** Any frame within maxSide x maxSide; claim checks must carry their digest. */
  public FrameLimits(int maxPayloadBytes, int maxSide, String claimCheckRoot) {
    this(maxPayloadBytes, maxSide, (long) maxSide * maxSide, claimCheckRoot, true);
  }

  public FrameLimits {
    if (maxPayloadBytes < 1) {
      throw new IllegalArgumentException(
          "maxPayloadBytes must be positive, was " + maxPayloadBytes);
    }
    if (maxSide < 1 || maxPixels < 1) {
      throw new IllegalArgumentException(
          "maxSide and maxPixels must be positive, were " + maxSide + ", " + maxPixels);
    }
  }
}
