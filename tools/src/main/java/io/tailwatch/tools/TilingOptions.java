package io.tailwatch.tools;

import io.tailwatch.detector.image.Tiling;
import picocli.CommandLine.Option;

/** Tiles for frames larger than the backbone input, shared by {@code fit} and {@code evaluate}. */
final class TilingOptions {
  @Option(
      names = "--tile-size",
      description =
          "Work on square tiles of this many frame pixels instead of the whole frame resized (each"
              + " tile resized to the network input): the bank is fitted on tiles, a frame's score is"
              + " the maximum over its tiles and its map is stitched at full resolution. fit records"
              + " the tiling in the bank, so score and the job tile the same way. Default: whole frame.")
  Integer tileSize;

  @Option(
      names = "--tile-stride",
      description =
          "Pixels between tile origins (< --tile-size overlaps them). Default: the tile size.")
  Integer tileStride;

  /** The tiling asked for, or null for whole frames; a bad pair fails naming the option. */
  Tiling tiling() {
    if (tileSize == null && tileStride != null) {
      throw new IllegalArgumentException("--tile-stride needs --tile-size");
    }
    return tileSize == null
        ? null
        : new Tiling(tileSize, tileStride == null ? tileSize : tileStride);
  }
}
