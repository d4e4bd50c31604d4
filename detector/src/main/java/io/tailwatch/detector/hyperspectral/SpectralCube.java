package io.tailwatch.detector.hyperspectral;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A hyperspectral cube held pixel-major (band interleaved by pixel) as floats: every per-pixel
 * detector reads one spectrum as a contiguous run of {@code bands} values. Raw bytes in any
 * interleave, sample type and byte order decode through {@link #decode}.
 */
public final class SpectralCube {
  private final int lines;
  private final int samples;
  private final int bands;
  private final float[] bip;

  /**
   * @param bip {@code lines * samples * bands} values, pixel-major; not copied
   */
  public SpectralCube(int lines, int samples, int bands, float[] bip) {
    if (lines <= 0 || samples <= 0 || bands <= 0) {
      throw new IllegalArgumentException(
          "cube dimensions must be positive: lines="
              + lines
              + ", samples="
              + samples
              + ", bands="
              + bands);
    }
    if ((long) lines * samples * bands != bip.length) {
      throw new IllegalArgumentException(
          "cube of "
              + lines
              + "x"
              + samples
              + "x"
              + bands
              + " needs "
              + (long) lines * samples * bands
              + " values, got "
              + bip.length);
    }
    this.lines = lines;
    this.samples = samples;
    this.bands = bands;
    this.bip = bip;
  }

  /**
   * Decodes raw cube bytes. The caller checks sizes against its limits first; this checks that the
   * buffer holds exactly the declared cube and that floating-point samples are finite.
   */
  public static SpectralCube decode(
      ByteBuffer raw,
      int lines,
      int samples,
      int bands,
      CubeInterleave interleave,
      CubeSampleType type,
      ByteOrder order) {
    if (lines <= 0 || samples <= 0 || bands <= 0) {
      throw new IllegalArgumentException(
          "cube dimensions must be positive: lines="
              + lines
              + ", samples="
              + samples
              + ", bands="
              + bands);
    }
    long values = (long) lines * samples * bands;
    long expected = values * type.bytes();
    if (expected > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(
          "cube of " + values + " samples is too large for one buffer");
    }
    if (raw.remaining() != expected) {
      throw new IllegalArgumentException(
          "payload holds "
              + raw.remaining()
              + " bytes but "
              + lines
              + "x"
              + samples
              + "x"
              + bands
              + " "
              + type
              + " needs "
              + expected);
    }
    ByteBuffer b = raw.slice().order(order);
    float[] out = new float[(int) values];
    int size = type.bytes();
    boolean floating = type == CubeSampleType.FLOAT32 || type == CubeSampleType.FLOAT64;
    for (int l = 0; l < lines; l++) {
      for (int s = 0; s < samples; s++) {
        int o = (l * samples + s) * bands;
        for (int k = 0; k < bands; k++) {
          float v = type.read(b, (int) (interleave.index(l, s, k, lines, samples, bands) * size));
          if (floating && !Float.isFinite(v)) {
            throw new IllegalArgumentException(
                "sample (line " + l + ", sample " + s + ", band " + k + ") is not finite: " + v);
          }
          out[o + k] = v;
        }
      }
    }
    return new SpectralCube(lines, samples, bands, out);
  }

  /** Encodes this cube as raw bytes (the inverse of {@link #decode}; integer types round). */
  public byte[] encode(CubeInterleave interleave, CubeSampleType type, ByteOrder order) {
    ByteBuffer b =
        ByteBuffer.allocate(Math.toIntExact((long) bip.length * type.bytes())).order(order);
    for (int l = 0; l < lines; l++) {
      for (int s = 0; s < samples; s++) {
        int o = (l * samples + s) * bands;
        for (int k = 0; k < bands; k++) {
          type.write(
              b,
              (int) (interleave.index(l, s, k, lines, samples, bands) * type.bytes()),
              bip[o + k]);
        }
      }
    }
    return b.array();
  }

  public int lines() {
    return lines;
  }

  public int samples() {
    return samples;
  }

  public int bands() {
    return bands;
  }

  public int pixels() {
    return lines * samples;
  }

  /** The pixel-major values (not a copy). */
  public float[] values() {
    return bip;
  }

  public float value(int line, int sample, int band) {
    return bip[(line * samples + sample) * bands + band];
  }
}
