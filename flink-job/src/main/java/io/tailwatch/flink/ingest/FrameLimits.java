package io.tailwatch.flink.ingest;

import java.io.Serializable;
import java.nio.file.Path;

/**
 * What the job accepts.
 *
 * @param claimCheckRoot folder claim-check files must lie under; null = claim checks refused
 */
public record FrameLimits(int maxPayloadBytes, int maxSide, String claimCheckRoot)
    implements Serializable {
  public FrameLimits {
    if (maxPayloadBytes < 1) {
      throw new IllegalArgumentException(
          "maxPayloadBytes must be positive, was " + maxPayloadBytes);
    }
    if (maxSide < 1) {
      throw new IllegalArgumentException("maxSide must be positive, was " + maxSide);
    }
  }

  public Path claimCheckRootPath() {
    return claimCheckRoot == null ? null : Path.of(claimCheckRoot).toAbsolutePath().normalize();
  }
}
