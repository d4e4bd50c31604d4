package io.tailwatch.flink.ingest;

import java.io.Serializable;

/**
 * What the cube chain accepts; every size a sender controls is checked against these before
 * anything is allocated.
 *
 * @param claimCheckRoot folder or URI claim-check objects must lie under; null = claim checks
 *     refused
 * @param requireSha256 claim checks without payloadSha256 are refused
 */
public record CubeLimits(
    int maxPayloadBytes, int maxPixels, int maxBands, String claimCheckRoot, boolean requireSha256)
    implements Serializable {
  /** Claim checks must carry their digest. */
  public CubeLimits(int maxPayloadBytes, int maxPixels, int maxBands, String claimCheckRoot) {
    this(maxPayloadBytes, maxPixels, maxBands, claimCheckRoot, true);
  }

  public CubeLimits {
    if (maxPayloadBytes < 1 || maxPixels < 1 || maxBands < 1) {
      throw new IllegalArgumentException(
          "cube limits must be positive: payload "
              + maxPayloadBytes
              + ", pixels "
              + maxPixels
              + ", bands "
              + maxBands);
    }
  }
}
