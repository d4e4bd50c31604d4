package io.tailwatch.detector.knn;

import ai.onnxruntime.OrtException;
import io.tailwatch.detector.bank.IvfLayout;
import io.tailwatch.detector.bank.MemoryBank;
import io.tailwatch.detector.util.Progress;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * IVF-Flat for memory banks (FAISS's {@code IndexIVFFlat}): k-means centroids split the bank into
 * lists; the bank is stored grouped by list ({@link MemoryBank#withIvf}); a query is compared with
 * every centroid (one GEMM + TopK, on ONNX Runtime) and then, exactly, with the rows of its {@code
 * probes} nearest lists only: one GEMM per list over the queries that probe it, the list being a
 * zero-copy slice of the (memory-mapped) bank. The distance reported is always the exact one to the
 * row reported; the answer is approximate only in that the true nearest row may sit in a list that
 * was not probed.
 *
 * <p>Ours rather than a library's (Lucene's HNSW was the alternative on Java 17): patch queries
 * come in large batches (784 per 224 px frame), which IVF turns into GEMM-shaped work per list, its
 * extra memory is the centroids and offsets only (HNSW's level-0 links alone add ~25% to a 128-dim
 * float bank), and the bank file stays one memory-mapped array.
 */
public final class IvfIndex {
  public static final int DEFAULT_ITERATIONS = 10;

  /** Training rows per centroid (FAISS warns below 39; more buys little). */
  static final int TRAIN_ROWS_PER_LIST = 64;

  /** Rows assigned per GEMM pass when the whole bank is put into its lists. */
  static final int ASSIGN_BLOCK = 65_536;

  private IvfIndex() {}

  /** FAISS's rule of thumb, 4 sqrt(N), with at least 39 rows per list to train each centroid. */
  public static int defaultLists(int count) {
    return Math.max(1, Math.min(count / 39, (int) Math.round(4 * Math.sqrt(count))));
  }

  /**
   * The bank with an IVF index of {@code lists} lists: k-means on a sample of at most {@code 64 x
   * lists} rows ({@code iterations} Lloyd steps, assignments on {@code scorer}, which must be
   * fp32), every row assigned to its nearest centroid, rows regrouped by list.
   */
  public static MemoryBank build(
      MemoryBank bank,
      int lists,
      int iterations,
      long seed,
      OnnxKnnScorer scorer,
      Progress progress)
      throws OrtException {
    return build(bank, lists, iterations, seed, scorer, progress, ASSIGN_BLOCK);
  }

  /** As {@link #build}, assigning the bank's rows {@code assignBlock} at a time. */
  static MemoryBank build(
      MemoryBank bank,
      int lists,
      int iterations,
      long seed,
      OnnxKnnScorer scorer,
      Progress progress,
      int assignBlock)
      throws OrtException {
    int n = bank.count();
    int d = bank.dim();
    if (lists < 1 || lists > n) {
      throw new IllegalArgumentException("ivf lists must be in [1, " + n + "], was " + lists);
    }
    if (iterations < 1) {
      throw new IllegalArgumentException("ivf iterations must be at least 1, was " + iterations);
    }
    if (scorer.precision() != KnnPrecision.FP32) {
      throw new IllegalArgumentException("ivf training assigns rows with an fp32 scorer");
    }
    FloatBuffer all = bank.vectors();
    SplittableRandom random = new SplittableRandom(seed);
    int trainRows = (int) Math.min(n, (long) TRAIN_ROWS_PER_LIST * lists);
    int[] sampleRows = sample(n, trainRows, random);
    float[] train = new float[trainRows * d];
    for (int i = 0; i < trainRows; i++) {
      all.get(sampleRows[i] * d, train, i * d, d);
    }
    // initial centres: distinct sampled rows
    float[] centroids = new float[lists * d];
    int[] init = sample(trainRows, lists, random);
    for (int c = 0; c < lists; c++) {
      System.arraycopy(train, init[c] * d, centroids, c * d, d);
    }
    long steps = iterations + 1L;
    for (int it = 0; it < iterations; it++) {
      int[] assigned = assign(scorer, centroids, lists, d, train, trainRows);
      recentre(train, trainRows, d, assigned, centroids, lists, random);
      progress.update(it + 1, steps);
    }
    // every row to its nearest centroid, a block at a time (no second copy of the whole bank)
    int[] assigned = new int[n];
    float[] block = new float[Math.min(n, assignBlock) * d];
    for (int from = 0; from < n; from += assignBlock) {
      int rows = Math.min(assignBlock, n - from);
      all.get(from * d, block, 0, rows * d);
      System.arraycopy(assign(scorer, centroids, lists, d, block, rows), 0, assigned, from, rows);
    }
    int[] offsets = new int[lists + 1];
    for (int a : assigned) {
      offsets[a + 1]++;
    }
    for (int l = 0; l < lists; l++) {
      offsets[l + 1] += offsets[l];
    }
    int[] order = new int[n];
    int[] fill = Arrays.copyOf(offsets, lists);
    for (int i = 0; i < n; i++) {
      order[fill[assigned[i]]++] = i;
    }
    progress.update(steps, steps);
    return bank.withIvf(order, new IvfLayout(lists, d, centroids, offsets));
  }

  /** {@code k} distinct values of {@code [0, n)} (partial Fisher-Yates). */
  static int[] sample(int n, int k, SplittableRandom random) {
    int[] all = new int[n];
    for (int i = 0; i < n; i++) {
      all[i] = i;
    }
    for (int i = 0; i < k; i++) {
      int j = i + random.nextInt(n - i);
      int t = all[i];
      all[i] = all[j];
      all[j] = t;
    }
    return Arrays.copyOf(all, k);
  }

  static int[] assign(
      OnnxKnnScorer scorer, float[] centroids, int lists, int d, float[] rows, int n)
      throws OrtException {
    try (OnnxKnnScorer.Index idx = scorer.index(centroids, lists, d)) {
      return scorer.search(idx, rows, n).indices();
    }
  }

  /**
   * Lloyd's update: each centroid moves to the mean of its rows; an empty list takes a random row
   * of the largest list (so every list keeps rows).
   */
  static void recentre(
      float[] rows,
      int n,
      int d,
      int[] assigned,
      float[] centroids,
      int lists,
      SplittableRandom random) {
    double[] sums = new double[lists * d];
    int[] counts = new int[lists];
    for (int i = 0; i < n; i++) {
      int c = assigned[i];
      counts[c]++;
      for (int x = 0; x < d; x++) {
        sums[c * d + x] += rows[i * d + x];
      }
    }
    for (int c = 0; c < lists; c++) {
      if (counts[c] == 0) {
        continue;
      }
      for (int x = 0; x < d; x++) {
        centroids[c * d + x] = (float) (sums[c * d + x] / counts[c]);
      }
    }
    for (int c = 0; c < lists; c++) {
      if (counts[c] > 0) {
        continue;
      }
      int largest = 0;
      for (int o = 1; o < lists; o++) {
        if (counts[o] > counts[largest]) {
          largest = o;
        }
      }
      // a random member of the largest list, nudged so the two centres differ
      int pick = random.nextInt(counts[largest]);
      for (int i = 0; i < n; i++) {
        if (assigned[i] == largest && pick-- == 0) {
          for (int x = 0; x < d; x++) {
            centroids[c * d + x] = rows[i * d + x] * (1 + 1e-4f);
          }
          break;
        }
      }
      counts[largest]--;
      counts[c] = 1;
    }
  }

  /**
   * The (query, list) pairs of a probe table, grouped by list: the queries that probe list {@code
   * l} are {@code members[start[l] .. start[l+1])}. {@code probe} holds {@code probes} list ids per
   * query.
   */
  record Groups(int[] start, int[] members) {}

  static Groups group(long[] probe, int q, int probes, int lists) {
    int[] start = new int[lists + 1];
    for (long l : probe) {
      start[(int) l + 1]++;
    }
    for (int l = 0; l < lists; l++) {
      start[l + 1] += start[l];
    }
    int[] members = new int[start[lists]];
    int[] fill = Arrays.copyOf(start, lists);
    for (int j = 0; j < q; j++) {
      for (int p = 0; p < probes; p++) {
        members[fill[(int) probe[j * probes + p]]++] = j;
      }
    }
    return new Groups(start, members);
  }
}
