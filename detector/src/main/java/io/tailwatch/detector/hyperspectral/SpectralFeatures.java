package io.tailwatch.detector.hyperspectral;

import io.tailwatch.detector.bank.RandomProjection;
import java.util.Locale;

/**
 * Per-pixel feature vectors for the spectral memory bank: the spectrum (optionally followed by the
 * mean spectrum of its 3 x 3 neighbourhood), normalised, then projected to a few dimensions. Fitted
 * once on reference pixels, then applied unchanged to every cube, so bank and queries live in the
 * same space.
 */
public final class SpectralFeatures {
  public enum Normalisation {
    NONE,
    STANDARDISE,
    L2
  }

  public enum Projection {
    NONE,
    PCA,
    RANDOM
  }

  /**
   * @param neighbourhood 1 (spectrum only) or 3 (spectrum + 3x3 mean spectrum)
   */
  public record Options(
      int neighbourhood, Normalisation normalisation, Projection projection, int dim, long seed) {
    public Options {
      if (neighbourhood != 1 && neighbourhood != 3) {
        throw new IllegalArgumentException("neighbourhood must be 1 or 3, was " + neighbourhood);
      }
      if (projection != Projection.NONE && dim <= 0) {
        throw new IllegalArgumentException("projection dim must be positive, was " + dim);
      }
    }

    public static Options defaults() {
      return new Options(1, Normalisation.STANDARDISE, Projection.PCA, 10, 7);
    }

    public String describe() {
      return String.format(
          Locale.ROOT,
          "%s, %s, %s",
          neighbourhood == 1 ? "spectrum" : "spectrum+3x3 mean",
          normalisation.name().toLowerCase(Locale.ROOT),
          projection == Projection.NONE
              ? "no projection"
              : projection.name().toLowerCase(Locale.ROOT) + " " + dim);
    }
  }

  private final Options options;
  private final int bands;
  private final int rawDim;
  private final Standardisation standardisation; // after L2; scale 1 unless STANDARDISE
  private final float[] projection; // rawDim x outDim, null for NONE
  private final int outDim;

  private SpectralFeatures(
      Options options,
      int bands,
      int rawDim,
      Standardisation standardisation,
      float[] projection,
      int outDim) {
    this.options = options;
    this.bands = bands;
    this.rawDim = rawDim;
    this.standardisation = standardisation;
    this.projection = projection;
    this.outDim = outDim;
  }

  /** Fits normalisation and projection on every pixel of the reference cubes (same band count). */
  public static SpectralFeatures fit(Options options, SpectralCube... reference) {
    int bands = reference[0].bands();
    int rawDim = bands * (options.neighbourhood() == 3 ? 2 : 1);
    int n = 0;
    for (SpectralCube c : reference) {
      if (c.bands() != bands) {
        throw new IllegalArgumentException(
            "reference cubes differ in bands: " + c.bands() + " vs " + bands);
      }
      n += c.pixels();
    }
    float[] raw = new float[Math.multiplyExact(n, rawDim)];
    int off = 0;
    for (SpectralCube c : reference) {
      float[] r = raw(c, options.neighbourhood());
      System.arraycopy(r, 0, raw, off, r.length);
      off += r.length;
    }
    if (options.normalisation() == Normalisation.L2) {
      l2(raw, n, rawDim);
    }
    Standardisation standardisation =
        options.normalisation() == Normalisation.STANDARDISE
            ? Standardisation.fit(raw, n, rawDim)
            : Standardisation.centre(raw, n, rawDim);
    int outDim = rawDim;
    float[] proj = null;
    if (options.projection() != Projection.NONE) {
      outDim = Math.min(options.dim(), rawDim);
      if (options.projection() == Projection.PCA) {
        standardisation.applyInPlace(raw, n);
        double[] cov = SymmetricMatrices.covariance(raw, n, rawDim, new double[rawDim]);
        double[] vectors = new double[rawDim * rawDim];
        SymmetricMatrices.eigen(cov, rawDim, vectors);
        proj = new float[rawDim * outDim];
        for (int k = 0; k < rawDim; k++) {
          for (int j = 0; j < outDim; j++) {
            proj[k * outDim + j] = (float) vectors[k * rawDim + j];
          }
        }
      } else {
        proj = RandomProjection.gaussian(rawDim, outDim, options.seed()).matrix();
      }
    }
    return new SpectralFeatures(options, bands, rawDim, standardisation, proj, outDim);
  }

  public Options options() {
    return options;
  }

  public int dim() {
    return outDim;
  }

  public int bands() {
    return bands;
  }

  /** Feature vectors of every pixel of {@code cube}, {@code pixels x dim()} row-major. */
  public float[] transform(SpectralCube cube) {
    if (cube.bands() != bands) {
      throw new IllegalArgumentException(
          "cube has " + cube.bands() + " bands, features were fitted on " + bands);
    }
    int n = cube.pixels();
    float[] raw = raw(cube, options.neighbourhood());
    if (options.normalisation() == Normalisation.L2) {
      l2(raw, n, rawDim);
    }
    standardisation.applyInPlace(raw, n);
    if (projection == null) {
      return raw;
    }
    float[] out = new float[n * outDim];
    for (int i = 0; i < n; i++) {
      int ro = i * rawDim;
      int oo = i * outDim;
      for (int k = 0; k < rawDim; k++) {
        float v = raw[ro + k];
        int po = k * outDim;
        for (int j = 0; j < outDim; j++) {
          out[oo + j] += v * projection[po + j];
        }
      }
    }
    return out;
  }

  private static void l2(float[] raw, int n, int d) {
    for (int i = 0; i < n; i++) {
      double s = 0;
      for (int j = 0; j < d; j++) {
        s += (double) raw[i * d + j] * raw[i * d + j];
      }
      float inv = s > 0 ? (float) (1 / Math.sqrt(s)) : 0f;
      for (int j = 0; j < d; j++) {
        raw[i * d + j] *= inv;
      }
    }
  }

  /**
   * Spectrum, or spectrum followed by the mean spectrum of the (edge-clipped) 3x3 neighbourhood.
   */
  private static float[] raw(SpectralCube cube, int neighbourhood) {
    if (neighbourhood == 1) {
      return cube.values().clone();
    }
    int h = cube.lines();
    int w = cube.samples();
    int b = cube.bands();
    float[] x = cube.values();
    float[] out = new float[h * w * 2 * b];
    for (int r = 0; r < h; r++) {
      for (int c = 0; c < w; c++) {
        int o = (r * w + c) * 2 * b;
        System.arraycopy(x, (r * w + c) * b, out, o, b);
        int count = 0;
        for (int dr = -1; dr <= 1; dr++) {
          for (int dc = -1; dc <= 1; dc++) {
            int rr = r + dr;
            int cc = c + dc;
            if (rr < 0 || rr >= h || cc < 0 || cc >= w) {
              continue;
            }
            count++;
            int s = (rr * w + cc) * b;
            for (int k = 0; k < b; k++) {
              out[o + b + k] += x[s + k];
            }
          }
        }
        for (int k = 0; k < b; k++) {
          out[o + b + k] /= count;
        }
      }
    }
    return out;
  }
}
