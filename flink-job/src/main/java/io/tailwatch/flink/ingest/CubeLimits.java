package io.tailwatch.flink.ingest;

import java.io.Serializable;
import java.nio.file.Path;

/**
 * What the cube chain accepts; every size a sender controls is checked against these before
 * anything is allocated.
 *
 * @param claimCheckRoot folder claim-check files must lie under; null = claim checks refused
 */
public record CubeLimits(int maxPayloadBytes, int maxPixels, int maxBands, String claimCheckRoot)
    implements Serializable {
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

  public Path claimCheckRootPath() {
    return claimCheckRoot == null ? null : Path.of(claimCheckRoot).toAbsolutePath().normalize();
  }
}
