package io.tailwatch.detector.online;

import io.tailwatch.detector.bank.BankHeader;
import io.tailwatch.detector.bank.GreedyCoreset;
import io.tailwatch.detector.bank.MemoryBank;
import io.tailwatch.detector.bank.NearestCentres;
import io.tailwatch.detector.util.Progress;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Merges candidate patch vectors into a bank (ALGORITHMS.md §6.3): greedy coreset continued from
 * the current bank, i.e. repeatedly add the candidate farthest from the bank and from what was
 * added so far, until {@code maxAdded} were added or the rest is covered; then, if the bank would
 * exceed {@code maxSize}, an approximate greedy coreset of the union down to the cap.
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
    if (capped) {
      int[] keep =
          GreedyCoreset.approximate(
              union, total, dim, maxSize, Math.min(128, dim), seed, progress, NearestCentres.JAVA);
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
    Map<String, Object> params = new LinkedHashMap<>();
    params.put("parent", h.bankVersion());
    params.put("parentMethod", h.method());
    params.put("added", added);
    params.put("candidates", n);
    params.put("maxAdded", maxAdded);
    params.put("maxSize", maxSize);
    params.put("capped", capped);
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
}
