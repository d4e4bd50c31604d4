package io.tailwatch.detector.hyperspectral;

/**
 * Band interleave of raw cube bytes: band sequential, band interleaved by line, band interleaved by
 * pixel.
 */
public enum CubeInterleave {
  BSQ,
  BIL,
  BIP;

  /** Index of sample (line, sample, band) in a raw stream of this interleave. */
  long index(int line, int sample, int band, int lines, int samples, int bands) {
    return switch (this) {
      case BSQ -> ((long) band * lines + line) * samples + sample;
      case BIL -> ((long) line * bands + band) * samples + sample;
      case BIP -> ((long) line * samples + sample) * bands + band;
    };
  }
}
