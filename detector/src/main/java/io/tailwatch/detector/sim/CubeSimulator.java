package io.tailwatch.detector.sim;

import io.tailwatch.detector.hyperspectral.SpectralCube;
import java.util.SplittableRandom;

/**
 * Simulated hyperspectral cubes of a production line: background pixels mixed from three smooth
 * endmember spectra with spatially smooth abundances and sensor noise; a share of cubes carry
 * anomalous targets of a fourth material, a full-pixel 3 x 3 block and a sub-pixel one (one pixel
 * holding {@code SUB_PIXEL_FRACTION} of the target). Values are radiance-like counts in [0, 65535]
 * (uint16). Cube {@code i} is the same for the same seed.
 */
public final class CubeSimulator {
  public static final double SUB_PIXEL_FRACTION = 0.6;

  private final long seed;
  private final int lines;
  private final int samples;
  private final int bands;
  private final double targetRate;
  private final float[][] endmembers;
  private final float[] target;

  /** One simulated cube and its ground truth ({@code anomalous[line * samples + sample]}). */
  public record SimulatedCube(
      long index, SpectralCube cube, boolean[] anomalous, boolean hasTarget) {}

  public CubeSimulator(long seed, int lines, int samples, int bands, double targetRate) {
    if (lines < 8 || samples < 8 || bands < 4) {
      throw new IllegalArgumentException(
          "simulated cubes need at least 8 x 8 pixels and 4 bands, got "
              + lines
              + " x "
              + samples
              + " x "
              + bands);
    }
    if (!(targetRate >= 0 && targetRate <= 1)) {
      throw new IllegalArgumentException("target rate must be in [0, 1], was " + targetRate);
    }
    this.seed = seed;
    this.lines = lines;
    this.samples = samples;
    this.bands = bands;
    this.targetRate = targetRate;
    // soil-like (rising), vegetation-like (red edge), concrete-like (flat, bright); the target has
    // a narrow dip
    endmembers =
        new float[][] {
          spectrum(b -> 800 + 1800 * b),
          spectrum(b -> 300 + 2600 / (1 + Math.exp(-(b - 0.45) * 25))),
          spectrum(b -> 2200 + 200 * Math.sin(6 * b))
        };
    target = spectrum(b -> 1500 + 700 * b - 900 * Math.exp(-Math.pow((b - 0.6) / 0.05, 2)));
  }

  private float[] spectrum(java.util.function.DoubleUnaryOperator f) {
    float[] s = new float[bands];
    for (int k = 0; k < bands; k++) {
      s[k] = (float) f.applyAsDouble(k / (double) (bands - 1));
    }
    return s;
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

  public SimulatedCube cube(long index) {
    SplittableRandom r = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + index);
    boolean hasTarget = r.nextDouble() < targetRate;
    double[][] phase = new double[3][4];
    for (double[] p : phase) {
      for (int i = 0; i < p.length; i++) {
        p[i] = r.nextDouble() * 2 * Math.PI;
      }
    }
    float[] v = new float[lines * samples * bands];
    boolean[] mask = new boolean[lines * samples];
    double[] a = new double[3];
    for (int y = 0; y < lines; y++) {
      for (int x = 0; x < samples; x++) {
        double sum = 0;
        for (int m = 0; m < 3; m++) {
          double field =
              Math.sin(x * 0.11 + phase[m][0])
                  + Math.sin(y * 0.09 + phase[m][1])
                  + 0.5 * Math.sin((x + y) * 0.05 + phase[m][2]);
          a[m] = Math.exp(1.5 * field);
          sum += a[m];
        }
        int o = (y * samples + x) * bands;
        for (int k = 0; k < bands; k++) {
          double s = 0;
          for (int m = 0; m < 3; m++) {
            s += a[m] / sum * endmembers[m][k];
          }
          v[o + k] = (float) s;
        }
      }
    }
    if (hasTarget) {
      int ty = 2 + r.nextInt(lines - 6);
      int tx = 2 + r.nextInt(Math.max(1, samples / 2 - 4));
      for (int y = ty; y < ty + 3; y++) {
        for (int x = tx; x < tx + 3; x++) {
          System.arraycopy(target, 0, v, (y * samples + x) * bands, bands);
          mask[y * samples + x] = true;
        }
      }
      int sy = 2 + r.nextInt(lines - 4);
      int sx = samples / 2 + 2 + r.nextInt(Math.max(1, samples / 2 - 4));
      int o = (sy * samples + sx) * bands;
      for (int k = 0; k < bands; k++) {
        v[o + k] = (float) ((1 - SUB_PIXEL_FRACTION) * v[o + k] + SUB_PIXEL_FRACTION * target[k]);
      }
      mask[sy * samples + sx] = true;
    }
    for (int i = 0; i < v.length; i++) {
      double noisy = v[i] + r.nextGaussian() * (4 + 0.004 * v[i]);
      v[i] = (float) Math.max(0, Math.min(65535, Math.rint(noisy)));
    }
    return new SimulatedCube(index, new SpectralCube(lines, samples, bands, v), mask, hasTarget);
  }
}
