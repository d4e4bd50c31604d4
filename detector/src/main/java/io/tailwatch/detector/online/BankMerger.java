package io.tailwatch.detector.online;

import io.tailwatch.detector.bank.BankHeader;
import io.tailwatch.detector.bank.GreedyCoreset;
import io.tailwatch.detector.bank.MemoryBank;
import io.tailwatch.detector.bank.NearestCentres;
import io.tailwatch.detector.scoring.ImageScoring;
import io.tailwatch.detector.util.Progress;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Merges candidate patch vectors into a bank (ALGORITHMS.md §6.3): greedy coreset continued from
 * the current bank, i.e. repeatedly add the candidate farthest from the bank and from what was
 * added so far, until {@code maxAdded} were added or the rest is covered; then, if the bank would
 * exceed {@code maxSize}, back to the cap: by pruning ({@link #prune}, incremental) when the
 * overshoot is at most a quarter of the bank, else by an approximate greedy coreset of the union.
 *
 * <p>"Covered" is within the bank's resolution (squared distance {@code covered2}, see {@link
 * #resolution2}): a k-centre coreset stops at a covering radius, and its continuation stops there
 * too. Without that bound the continuation densifies what the bank already knows: fresh frames of
 * the majority product offer tens of thousands of patches just outside the old vectors, they take
 * most of every update's {@code maxAdded}, the majority's scores tighten update by update, and a
 * rare variant's few sampled frames, though learned in absolute terms, stay just as far out
 * relative to the majority (and to a threshold set by the majority's quantile).
 *
 * <p>The candidates' starting distances are their squared nearest-neighbour distances when they
 * were scored (the scorer computed them anyway): against the same bank they are exact; if the bank
 * grew since, they are upper bounds, which only makes a candidate look less covered than it is.
 */
public final class BankMerger {
  private BankMerger() {}

  /** What a merge did. */
  public record Result(MemoryBank bank, int added, int candidates, boolean capped) {}

  /**
   * Header parameter carrying the resolution forward, so every version of a lineage merges at the
   * same one.
   */
  public static final String RESOLUTION_PARAM = "resolution2";

  /**
   * Default quantile of the bank's spacing taken as its resolution (job option
   * bank-update.resolution-quantile).
   */
  public static final double DEFAULT_RESOLUTION_QUANTILE = 0.5;

  /** Bank vectors sampled for {@link #spacing2}: 1,024 x bank size x dim multiply-adds. */
  static final int SPACING_SAMPLE = 1024;

  /**
   * Why {@code quantile} is not a valid resolution quantile ("must be in [0, 1], was ..."), or
   * null.
   */
  public static String quantileProblem(double quantile) {
    return quantile >= 0 && quantile <= 1 ? null : "must be in [0, 1], was " + quantile;
  }

  /**
   * The squared distance within which a candidate counts as covered by the bank: the header's
   * {@value #RESOLUTION_PARAM} when a previous merge recorded it, else {@link #spacing2} at {@code
   * quantile}; 0 when {@code quantile} is 0 (covered only when exactly present: every merge
   * densifies).
   */
  public static double resolution2(MemoryBank bank, double quantile, long seed) {
    String problem = quantileProblem(quantile);
    if (problem != null) {
      throw new IllegalArgumentException("resolution quantile " + problem);
    }
    if (quantile == 0) {
      return 0;
    }
    Map<String, Object> params = bank.header().params();
    if (params != null && params.get(RESOLUTION_PARAM) instanceof Number n && n.doubleValue() > 0) {
      return n.doubleValue();
    }
    return spacing2(bank, quantile, seed);
  }

  /**
   * The {@code quantile} of the bank vectors' squared distances to their nearest other bank vector,
   * over a seeded sample of at most {@value #SPACING_SAMPLE}. For a greedy k-centre coreset every
   * pair of centres is at least the covering radius apart, so low quantiles of the spacing sit at
   * that radius; 0 for a bank of one vector.
   */
  public static double spacing2(MemoryBank bank, double quantile, long seed) {
    int count = bank.count();
    int dim = bank.dim();
    if (count < 2) {
      return 0;
    }
    float[] all = new float[count * dim];
    bank.vectors().get(0, all, 0, count * dim);
    int[] sample =
        new java.util.Random(seed)
            .ints(0, count)
            .distinct()
            .limit(Math.min(SPACING_SAMPLE, count))
            .toArray();
    double[] nearest = new double[sample.length];
    for (int s = 0; s < sample.length; s++) {
      int i = sample[s];
      float best = Float.MAX_VALUE;
      for (int j = 0; j < count; j++) {
        if (j != i) {
          float d = GreedyCoreset.dist2(all, i * dim, all, j * dim, dim);
          if (d < best) {
            best = d;
          }
        }
      }
      nearest[s] = best;
    }
    Arrays.sort(nearest);
    return nearest[(int) Math.min(nearest.length - 1, Math.floor(quantile * nearest.length))];
  }

  /**
   * @param candidates {@code n x dim} vectors
   * @param distances2 their squared distances to the nearest vector of {@code bank}
   * @param version the new bank's version
   * @param covered2 a candidate within this squared distance of the bank or of an added vector is
   *     covered ({@link #resolution2}; 0 = only an exact copy is); recorded in the new header
   */
  public static Result merge(
      MemoryBank bank,
      float[] candidates,
      float[] distances2,
      int n,
      int maxAdded,
      int maxSize,
      double covered2,
      String version,
      Map<String, Object> extraParams,
      long seed) {
    return merge(
        bank,
        candidates,
        distances2,
        n,
        maxAdded,
        maxSize,
        covered2,
        version,
        extraParams,
        seed,
        Progress.NONE);
  }

  /**
   * As {@link #merge(MemoryBank, float[], float[], int, int, int, double, String, Map, long)},
   * reporting the reduction to the cap (the long part at large caps) to {@code progress}, which may
   * throw to abandon the merge (a closing task).
   */
  public static Result merge(
      MemoryBank bank,
      float[] candidates,
      float[] distances2,
      int n,
      int maxAdded,
      int maxSize,
      double covered2,
      String version,
      Map<String, Object> extraParams,
      long seed,
      Progress progress) {
    int dim = bank.dim();
    if ((long) n * dim > candidates.length || distances2.length < n) {
      throw new IllegalArgumentException(
          n
              + " candidates of dimension "
              + dim
              + " need "
              + (long) n * dim
              + " values and "
              + n
              + " distances, have "
              + candidates.length
              + " and "
              + distances2.length);
    }
    if (maxAdded < 0 || maxSize < 1) {
      throw new IllegalArgumentException(
          "maxAdded must be >= 0 and maxSize >= 1, were " + maxAdded + ", " + maxSize);
    }
    if (!(covered2 >= 0) || Double.isInfinite(covered2)) {
      throw new IllegalArgumentException(
          "covered distance must be finite and >= 0, was " + covered2);
    }
    float[] min = Arrays.copyOf(distances2, n);
    int[] picked = new int[Math.min(maxAdded, n)];
    int added = 0;
    while (added < picked.length) {
      int arg = -1;
      double best = covered2;
      for (int i = 0; i < n; i++) {
        if (min[i] > best) {
          best = min[i];
          arg = i;
        }
      }
      if (arg < 0) {
        break; // everything left is covered
      }
      picked[added++] = arg;
      min[arg] = 0;
      for (int i = 0; i < n; i++) {
        if (min[i] > covered2) { // a covered candidate is never picked: skip it
          float d = GreedyCoreset.dist2(candidates, i * dim, candidates, arg * dim, dim);
          if (d < min[i]) {
            min[i] = d;
          }
        }
      }
    }
    int total = bank.count() + added;
    float[] union = new float[total * dim];
    bank.vectors().get(0, union, 0, bank.count() * dim);
    for (int j = 0; j < added; j++) {
      System.arraycopy(candidates, picked[j] * dim, union, (bank.count() + j) * dim, dim);
    }
    float[] weights = null;
    if (bank.weights() != null) {
      weights = Arrays.copyOf(bank.weights(), total);
      Arrays.fill(weights, bank.count(), total, 1f); // added vectors are trusted as they are
    }
    boolean capped = total > maxSize;
    int count = total;
    String reduction = null;
    if (capped) {
      int excess = total - maxSize;
      int[] keep;
      if (excess <= bank.count() / PRUNE_SHARE) {
        keep = prune(union, total, bank.count(), dim, excess, seed, progress);
        reduction = "prune";
      } else {
        keep =
            GreedyCoreset.approximate(
                union,
                total,
                dim,
                maxSize,
                Math.min(128, dim),
                seed,
                progress,
                NearestCentres.JAVA);
        reduction = "coreset";
      }
      float[] kept = new float[maxSize * dim];
      float[] keptWeights = weights == null ? null : new float[maxSize];
      for (int j = 0; j < maxSize; j++) {
        System.arraycopy(union, keep[j] * dim, kept, j * dim, dim);
        if (weights != null) {
          keptWeights[j] = weights[keep[j]];
        }
      }
      union = kept;
      weights = keptWeights;
      count = maxSize;
    }
    BankHeader h = bank.header();
    // how frames are scored (tiling, image top-k) stays: the inherited threshold assumes it
    Map<String, Object> params = new LinkedHashMap<>(ImageScoring.inherited(h.params()));
    params.put("parent", h.bankVersion());
    params.put("parentMethod", h.method());
    params.put("added", added);
    params.put("candidates", n);
    params.put("maxAdded", maxAdded);
    params.put("maxSize", maxSize);
    params.put("capped", capped);
    if (reduction != null) {
      params.put("capReduction", reduction);
    }
    params.put(RESOLUTION_PARAM, covered2);
    if (extraParams != null) {
      params.putAll(extraParams);
    }
    BankHeader next =
        new BankHeader(
            h.formatVersion(),
            version,
            dim,
            count,
            null,
            h.backbone(),
            h.preprocessing(),
            Instant.now(),
            "online-update",
            params,
            h.calibration(),
            h.patchWeights());
    MemoryBank merged =
        weights == null
            ? MemoryBank.of(next, union, count)
            : MemoryBank.weighted(next, union, count, weights);
    return new Result(merged, added, n, capped);
  }

  /**
   * A bank over its cap by at most 1/{@code PRUNE_SHARE} of its size is brought back by pruning;
   * beyond that (the cap was lowered) by a coreset of the whole union.
   */
  static final int PRUNE_SHARE = 4;

  /** Bank vectors sampled per vector to prune, at least {@link #MIN_PRUNE_SAMPLE} in all. */
  static final int PRUNE_SAMPLE_FACTOR = 4;

  static final int MIN_PRUNE_SAMPLE = 1024;

  /**
   * The cap reduction of an update, incremental: of a random sample of the old bank's vectors
   * ({@code PRUNE_SAMPLE_FACTOR} x {@code excess}), the {@code excess} nearest to the vectors
   * outside the sample are dropped. Each dropped vector's nearest neighbour is kept (it is outside
   * the sample), so coverage shrinks by at most the largest dropped distance, and the vectors just
   * added (new coverage) are never dropped. Cost: sample x bank x dim, one GEMM pass; a coreset of
   * the whole union down to the cap costs cap x bank x dim, minutes at a 200,000 cap on 2 cores,
   * for an update that adds about a thousand vectors.
   *
   * @return the rows kept, ascending
   */
  static int[] prune(
      float[] union, int total, int oldCount, int dim, int excess, long seed, Progress progress) {
    int m = Math.min(oldCount, Math.max(PRUNE_SAMPLE_FACTOR * excess, MIN_PRUNE_SAMPLE));
    int[] rows = new int[oldCount];
    for (int i = 0; i < oldCount; i++) {
      rows[i] = i;
    }
    java.util.SplittableRandom random = new java.util.SplittableRandom(seed);
    for (int i = 0; i < m; i++) { // partial Fisher-Yates: rows[0..m) is the sample
      int j = i + random.nextInt(oldCount - i);
      int t = rows[i];
      rows[i] = rows[j];
      rows[j] = t;
    }
    boolean[] sampled = new boolean[total];
    float[] sample = new float[m * dim];
    for (int i = 0; i < m; i++) {
      sampled[rows[i]] = true;
      System.arraycopy(union, rows[i] * dim, sample, i * dim, dim);
    }
    int restCount = total - m;
    float[] rest = new float[restCount * dim];
    for (int r = 0, at = 0; r < total; r++) {
      if (!sampled[r]) {
        System.arraycopy(union, r * dim, rest, at++ * dim, dim);
      }
    }
    float[] nearest;
    try (io.tailwatch.detector.knn.OnnxKnnScorer knn =
        io.tailwatch.detector.knn.OnnxKnnScorer.open(
            io.tailwatch.detector.onnx.ExecutionProvider.CPU, 0)) {
      nearest = knn.nearestCentres().nearest(sample, m, dim, rest, restCount);
    } catch (ai.onnxruntime.OrtException e) {
      throw new IllegalStateException("bank cap reduction: " + e.getMessage(), e);
    }
    progress.update(1, 2); // a closing task stops here
    Integer[] order = new Integer[m];
    for (int i = 0; i < m; i++) {
      order[i] = i;
    }
    java.util.Arrays.sort(order, (a, b) -> Float.compare(nearest[a], nearest[b]));
    boolean[] dropped = new boolean[total];
    for (int i = 0; i < excess; i++) {
      dropped[rows[order[i]]] = true;
    }
    int[] keep = new int[total - excess];
    for (int r = 0, at = 0; r < total; r++) {
      if (!dropped[r]) {
        keep[at++] = r;
      }
    }
    progress.update(2, 2);
    return keep;
  }
}
