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
 * Merges candidate patch vectors into a bank (ALGORITHMS.md §6.3): greedy coreset continued from the current
 * bank, i.e. repeatedly add the candidate farthest from the bank and from what was added so far, until
 * {@code maxAdded} were added or the rest is covered; then, if the bank would exceed {@code maxSize}, an
 * approximate greedy coreset of the union down to the cap.
 *
 * <p>The candidates' starting distances are their squared nearest-neighbour distances when they were scored
 * (the scorer computed them anyway): against the same bank they are exact; if the bank grew since, they are upper
 * bounds, which only makes a candidate look less covered than it is.
 */
public final class BankMerger {
  private BankMerger() {}

  /** What a merge did. */
  public record Result(MemoryBank bank, int added, int candidates, boolean capped) {}

  /**
   * @param candidates {@code n x dim} vectors
   * @param distances2 their squared distances to the nearest vector of {@code bank}
   * @param version the new bank's version
   */
  public static Result merge(MemoryBank bank, float[] candidates, float[] distances2, int n, int maxAdded,
      int maxSize, String version, Map<String, Object> extraParams, long seed) {
    int dim = bank.dim();
    if ((long) n * dim > candidates.length || distances2.length < n) {
      throw new IllegalArgumentException(n + " candidates of dimension " + dim + " need " + (long) n * dim
          + " values and " + n + " distances, have " + candidates.length + " and " + distances2.length);
    }
    if (maxAdded < 0 || maxSize < 1) {
      throw new IllegalArgumentException("maxAdded must be >= 0 and maxSize >= 1, were " + maxAdded + ", " + maxSize);
    }
    float[] min = Arrays.copyOf(distances2, n);
    int[] picked = new int[Math.min(maxAdded, n)];
    int added = 0;
    while (added < picked.length) {
      int arg = -1;
      float best = 0;
      for (int i = 0; i < n; i++) {
        if (min[i] > best) {
          best = min[i];
          arg = i;
        }
      }
      if (arg < 0) {
        break; // everything left is covered exactly
      }
      picked[added++] = arg;
      min[arg] = 0;
      for (int i = 0; i < n; i++) {
        if (min[i] > 0) {
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
      int[] keep = GreedyCoreset.approximate(union, total, dim, maxSize, Math.min(128, dim), seed, Progress.NONE,
          NearestCentres.JAVA);
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
    if (extraParams != null) {
      params.putAll(extraParams);
    }
    BankHeader next = new BankHeader(h.formatVersion(), version, dim, count, null, h.backbone(), h.preprocessing(),
        Instant.now(), "online-update", params, h.calibration(), h.patchWeights());
    MemoryBank merged = weights == null ? MemoryBank.of(next, union, count)
        : MemoryBank.weighted(next, union, count, weights);
    return new Result(merged, added, n, capped);
  }
}
