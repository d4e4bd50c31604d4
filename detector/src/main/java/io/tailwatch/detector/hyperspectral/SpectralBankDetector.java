package io.tailwatch.detector.hyperspectral;

import ai.onnxruntime.OrtException;
import io.tailwatch.detector.bank.GreedyCoreset;
import io.tailwatch.detector.knn.OnnxKnnScorer;
import io.tailwatch.detector.util.Permutations;
import io.tailwatch.detector.util.Progress;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Spectral memory bank: per-pixel feature vectors ({@link SpectralFeatures}) of reference pixels,
 * reduced to a bank by greedy coreset (or a uniform sample), scored by squared distance to the
 * nearest bank vector through the same ONNX kNN operator as image patches.
 *
 * <p>A scene with no separate clean reference is scored {@link #crossFitted cross-fitted}: its
 * pixels are split in two random halves and each half is scored against a bank drawn from the
 * other, so no pixel meets itself in the bank. There the bank should be a uniform sample: a coreset
 * deliberately keeps the most isolated spectra, which in an unlabelled scene are the anomalies
 * themselves.
 */
public final class SpectralBankDetector implements PixelDetector {
  public enum Selection {
    CORESET,
    RANDOM
  }

  public record Options(
      SpectralFeatures.Options features, int bankSize, Selection selection, long seed) {
    public Options {
      if (bankSize <= 0) {
        throw new IllegalArgumentException("bank size must be positive, was " + bankSize);
      }
    }

    public static Options defaults() {
      return new Options(SpectralFeatures.Options.defaults(), 1024, Selection.RANDOM, 7);
    }

    public String describe() {
      return String.format(
          Locale.ROOT,
          "%s; bank %d by %s",
          features.describe(),
          bankSize,
          selection.name().toLowerCase(Locale.ROOT));
    }

    public Options withSeed(long newSeed) {
      return new Options(
          new SpectralFeatures.Options(
              features.neighbourhood(),
              features.normalisation(),
              features.projection(),
              features.dim(),
              newSeed),
          bankSize,
          selection,
          newSeed);
    }
  }

  private final Options options;
  private final SpectralFeatures features;
  private final OnnxKnnScorer scorer;
  private final OnnxKnnScorer.Index index;
  private final int bankCount;

  private SpectralBankDetector(
      Options options,
      SpectralFeatures features,
      OnnxKnnScorer scorer,
      OnnxKnnScorer.Index index,
      int bankCount) {
    this.options = options;
    this.features = features;
    this.scorer = scorer;
    this.index = index;
    this.bankCount = bankCount;
  }

  /**
   * Fits features and bank on every pixel of the (clean) reference cubes. The scorer stays the
   * caller's.
   */
  public static SpectralBankDetector fit(
      Options options, OnnxKnnScorer scorer, SpectralCube... reference) throws OrtException {
    SpectralFeatures f = SpectralFeatures.fit(options.features(), reference);
    int n = 0;
    for (SpectralCube c : reference) {
      n += c.pixels();
    }
    float[] all = new float[n * f.dim()];
    int off = 0;
    for (SpectralCube c : reference) {
      float[] v = f.transform(c);
      System.arraycopy(v, 0, all, off, v.length);
      off += v.length;
    }
    float[] bank = select(all, n, f.dim(), options, scorer, new SplittableRandom(options.seed()));
    int count = bank.length / f.dim();
    return new SpectralBankDetector(options, f, scorer, scorer.index(bank, count, f.dim()), count);
  }

  /**
   * Scores a scene against itself without labels: features fitted on all its pixels, two random
   * halves, each scored against a bank of {@code bankSize} vectors from the other half.
   */
  public static float[] crossFitted(SpectralCube scene, Options options, OnnxKnnScorer scorer)
      throws OrtException {
    SpectralFeatures f = SpectralFeatures.fit(options.features(), scene);
    float[] x = f.transform(scene);
    int d = f.dim();
    int n = scene.pixels();
    SplittableRandom random = new SplittableRandom(options.seed());
    int[] perm = Permutations.shuffled(n, random);
    int half = n / 2;
    int[] first = java.util.Arrays.copyOfRange(perm, 0, half);
    int[] second = java.util.Arrays.copyOfRange(perm, half, n);
    float[] scores = new float[n];
    scoreAgainst(
        x,
        d,
        second,
        select(gather(x, d, first), first.length, d, options, scorer, random),
        scorer,
        scores);
    scoreAgainst(
        x,
        d,
        first,
        select(gather(x, d, second), second.length, d, options, scorer, random),
        scorer,
        scores);
    return scores;
  }

  private static void scoreAgainst(
      float[] x, int d, int[] queries, float[] bank, OnnxKnnScorer scorer, float[] out)
      throws OrtException {
    float[] q = gather(x, d, queries);
    try (OnnxKnnScorer.Index idx = scorer.index(bank, bank.length / d, d)) {
      float[] dist = scorer.search(idx, q, queries.length).distances();
      for (int i = 0; i < queries.length; i++) {
        out[queries[i]] = dist[i];
      }
    }
  }

  /** The bank drawn from {@code count} candidate vectors (row-major in {@code pool}). */
  private static float[] select(
      float[] pool,
      int count,
      int d,
      Options options,
      OnnxKnnScorer scorer,
      SplittableRandom random) {
    int m = Math.min(options.bankSize(), count);
    int[] chosen;
    if (options.selection() == Selection.CORESET) {
      chosen =
          GreedyCoreset.exact(
              pool, count, d, m, random.nextLong(), Progress.NONE, scorer.nearestCentres());
    } else {
      chosen = java.util.Arrays.copyOf(Permutations.shuffled(count, random), m);
    }
    return gather(pool, d, chosen);
  }

  private static float[] gather(float[] x, int d, int[] rows) {
    float[] out = new float[rows.length * d];
    for (int i = 0; i < rows.length; i++) {
      System.arraycopy(x, rows[i] * d, out, i * d, d);
    }
    return out;
  }

  @Override
  public String name() {
    return "spectral bank";
  }

  @Override
  public String describe() {
    return options.describe() + " (" + bankCount + " vectors)";
  }

  public int bankCount() {
    return bankCount;
  }

  @Override
  public float[] score(SpectralCube cube) throws OrtException {
    float[] q = features.transform(cube);
    return scorer.search(index, q, cube.pixels()).distances();
  }

  @Override
  public void close() {
    index.close();
  }
}
