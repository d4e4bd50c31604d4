package io.tailwatch.detector.bank;

import io.tailwatch.detector.util.Progress;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Greedy k-centre coreset selection (PatchCore's memory-bank subsampling): repeatedly take the
 * point farthest from everything selected so far.
 *
 * <p>The plain loop computes n distances per selected point: n*k*d work (600k patches to 60k at d =
 * 32 is 1.2e12 multiply-adds). This implementation returns exactly the same selection (tested
 * against the plain loop) with lazy evaluation: see {@link #select}. Triangle-inequality pruning
 * was tried first and skipped under a third of the work on CNN patch features (distances
 * concentrate), so it is not used.
 *
 * <p>Hand-written: no maintained JVM library offers a k-centre coreset, and this one is exact and
 * far cheaper than the plain loop the reference implementations use.
 */
public final class GreedyCoreset {
  private static final int APPROXIMATE_START_POINTS = 10;

  private GreedyCoreset() {}

  /**
   * PatchCore's approximate greedy coreset: points projected to {@code projectionDim} (no
   * projection if the data is not wider), initial anchor = mean distance to 10 random points, then
   * max-min selection.
   *
   * @return indices of the selected points, in selection order
   */
  public static int[] approximate(
      float[] data,
      int n,
      int dim,
      int select,
      int projectionDim,
      long seed,
      Progress progress,
      NearestCentres bulk) {
    check(data, n, dim, select);
    SplittableRandom random = new SplittableRandom(seed);
    float[] x = data;
    int d = dim;
    if (projectionDim > 0 && projectionDim < dim) {
      x = RandomProjection.gaussian(dim, projectionDim, random.nextLong()).project(data, n);
      d = projectionDim;
    }
    int starts = Math.min(APPROXIMATE_START_POINTS, n);
    int[] startIdx = random.ints(0, n).distinct().limit(starts).toArray();
    float[] anchor = new float[n];
    for (int i = 0; i < n; i++) {
      double sum = 0;
      for (int s : startIdx) {
        sum += Math.sqrt(dist2(x, i * d, x, s * d, d));
      }
      double mean = sum / starts;
      anchor[i] = (float) (mean * mean);
    }
    return select(x, n, d, select, anchor, -1, progress, bulk);
  }

  /** Exact greedy coreset on the full vectors from a seeded random start (TailedCore's choice). */
  public static int[] exact(
      float[] data, int n, int dim, int select, long seed, Progress progress, NearestCentres bulk) {
    check(data, n, dim, select);
    int start = new SplittableRandom(seed).nextInt(n);
    return select(data, n, dim, select, null, start, progress, bulk);
  }

  /** How many points a ratio selects (at least 1). */
  public static int count(int n, double ratio) {
    if (!(ratio > 0 && ratio <= 1)) {
      throw new IllegalArgumentException("coreset ratio must be in (0, 1], was " + ratio);
    }
    return Math.max(1, (int) Math.round(n * ratio));
  }

  private static void check(float[] data, int n, int dim, int select) {
    if (n <= 0 || dim <= 0 || (long) n * dim > data.length) {
      throw new IllegalArgumentException(
          "need n x dim = " + n + " x " + dim + " values, have " + data.length);
    }
    if (select <= 0 || select > n) {
      throw new IllegalArgumentException("cannot select " + select + " of " + n + " points");
    }
  }

  /**
   * Max-min selection. {@code initial} are starting squared distances (PatchCore's anchors), or
   * null for +infinity with {@code forcedFirst} as the first centre.
   *
   * <p>Exact, in phases. A phase takes the {@code POOL} points with the largest current values and
   * runs the greedy loop on them alone, lazily: minD only decreases, so a value computed against
   * the first seen[i] centres of the phase is an upper bound; points sit in a max-heap by these
   * bounds and only the top one is brought up to date (centres stored dimension-major, so that
   * refresh is an element-wise loop the JIT vectorises), and only until it drops below the
   * runner-up. The up-to-date top is the global argmax as long as it beats the best point outside
   * the pool, whose value bounds every outside point. When it does not, the phase ends and every
   * point is updated against the phase's centres in one batch ({@code bulk}: a GEMM).
   */
  static int[] select(
      float[] x,
      int n,
      int d,
      int k,
      float[] initial,
      int forcedFirst,
      Progress progress,
      NearestCentres bulk) {
    return select(x, n, d, k, initial, forcedFirst, progress, bulk, POOL, null);
  }

  /** What one selection cost, filled in when the caller passes one (tests and benchmarks). */
  static final class Cost {
    int phases;
    long distanceComputations;
  }

  static int[] select(
      float[] x,
      int n,
      int d,
      int k,
      float[] initial,
      int forcedFirst,
      Progress progress,
      NearestCentres bulk,
      int maxPool,
      Cost cost) {
    float[] minD = new float[n];
    if (initial != null) {
      System.arraycopy(initial, 0, minD, 0, n);
    } else {
      Arrays.fill(minD, Float.POSITIVE_INFINITY);
    }
    int[] chosen = new int[k];
    int t = 0;
    long computed = 0;
    if (forcedFirst >= 0) {
      chosen[t++] = forcedFirst;
      update(x, n, d, minD, chosen, 0, 1, bulk);
      computed += n;
    }
    int poolSize = Math.min(n, maxPool);
    float[][] centresByDim = new float[d][];
    float[] acc = new float[REFRESH_BLOCK];
    int phases = 0;
    while (t < k) {
      phases++;
      int[] order = best(minD, Math.min(n, poolSize + 1));
      int outside = order.length > poolSize ? order[poolSize] : -1;
      int[] pool = Arrays.copyOf(order, Math.min(poolSize, order.length));
      float[] value = new float[pool.length];
      for (int p = 0; p < pool.length; p++) {
        value[p] = minD[pool[p]];
      }
      int[] seen = new int[pool.length];
      int phaseStart = t;
      int capacity = Math.min(k - t, pool.length);
      for (int j = 0; j < d; j++) {
        centresByDim[j] = new float[capacity];
      }
      PoolHeap heap = new PoolHeap(value, pool);
      while (t < k) {
        int top = heap.top();
        int added = t - phaseStart;
        if (seen[top] < added) {
          int runnerUp = heap.runnerUp();
          do {
            int from = seen[top];
            int len = Math.min(REFRESH_BLOCK, added - from);
            float nearest = nearest(x, pool[top] * d, d, centresByDim, from, len, acc);
            computed += len;
            seen[top] = from + len;
            if (nearest < value[top]) {
              value[top] = nearest;
            }
          } while (seen[top] < added && (runnerUp < 0 || !heap.before(runnerUp, top)));
          heap.siftDownTop();
          continue;
        }
        int g = pool[top];
        boolean beatsOutside =
            outside < 0
                || value[top] > minD[outside]
                || (value[top] == minD[outside] && g < outside);
        if (!beatsOutside || added == capacity) {
          break;
        }
        chosen[t++] = g;
        for (int j = 0; j < d; j++) {
          centresByDim[j][added] = x[g * d + j];
        }
        if (t % Math.max(1, k / 200) == 0 || t == k) {
          progress.update(t, k);
        }
      }
      if (t < k) { // after the last phase nobody reads minD again
        update(x, n, d, minD, chosen, phaseStart, t, bulk);
        computed += (long) n * (t - phaseStart);
      }
    }
    if (cost != null) {
      cost.distanceComputations = computed;
      cost.phases = phases;
    }
    return chosen;
  }

  /** Points in the pool of a phase. */
  static final int POOL = Integer.getInteger("tailwatch.coreset.pool", 16384);

  /** minD = min(minD, distance to chosen[from..to)) for every point. */
  private static void update(
      float[] x, int n, int d, float[] minD, int[] chosen, int from, int to, NearestCentres bulk) {
    int m = to - from;
    if (m == 0) {
      return;
    }
    float[] centres = new float[m * d];
    for (int c = 0; c < m; c++) {
      System.arraycopy(x, chosen[from + c] * d, centres, c * d, d);
    }
    float[] nearest = bulk.nearest(x, n, d, centres, m);
    for (int i = 0; i < n; i++) {
      if (nearest[i] < minD[i]) {
        minD[i] = nearest[i];
      }
    }
    for (int c = from; c < to; c++) {
      minD[chosen[c]] = 0f; // a centre covers itself; the GEMM form may leave a rounding residue
    }
  }

  /**
   * Indices of the {@code m} largest values, largest first, ties by smaller index (the plain loop's
   * order).
   */
  static int[] best(float[] v, int m) {
    long[] keys = new long[v.length];
    for (int i = 0; i < v.length; i++) {
      // non-negative floats order like their bit patterns; ~i ranks smaller indices higher among
      // equals
      keys[i] = ((long) Float.floatToIntBits(v[i]) << 32) | (~i & 0xFFFFFFFFL);
    }
    Arrays.sort(keys);
    int[] out = new int[m];
    for (int r = 0; r < m; r++) {
      out[r] = ~(int) keys[keys.length - 1 - r];
    }
    return out;
  }

  private static final int REFRESH_BLOCK = 256;

  /** Smallest squared distance from point {@code x[xo..xo+d)} to centres [from, from+len). */
  private static float nearest(
      float[] x, int xo, int d, float[][] centresByDim, int from, int len, float[] acc) {
    Arrays.fill(acc, 0, len, 0f);
    for (int j = 0; j < d; j++) {
      float v = x[xo + j];
      float[] row = centresByDim[j];
      for (int c = 0; c < len; c++) {
        float t = row[from + c] - v;
        acc[c] += t * t;
      }
    }
    float best = Float.POSITIVE_INFINITY;
    for (int c = 0; c < len; c++) {
      best = Math.min(best, acc[c]);
    }
    return best;
  }

  /**
   * Max-heap of pool positions keyed by (value desc, global index asc), the plain loop's argmax
   * order.
   */
  private static final class PoolHeap {
    private final float[] key;
    private final int[] global;
    private final int[] heap;
    private final int size;

    PoolHeap(float[] key, int[] global) {
      this.key = key;
      this.global = global;
      this.size = key.length;
      heap = new int[size];
      for (int i = 0; i < size; i++) {
        heap[i] = i;
      }
      for (int i = size / 2 - 1; i >= 0; i--) {
        siftDown(i);
      }
    }

    boolean before(int a, int b) {
      return key[a] > key[b] || (key[a] == key[b] && global[a] < global[b]);
    }

    int top() {
      return heap[0];
    }

    int runnerUp() {
      if (size < 2) {
        return -1;
      }
      if (size < 3) {
        return heap[1];
      }
      return before(heap[1], heap[2]) ? heap[1] : heap[2];
    }

    void siftDownTop() {
      siftDown(0);
    }

    private void siftDown(int pos) {
      int v = heap[pos];
      while (true) {
        int c = 2 * pos + 1;
        if (c >= size) {
          break;
        }
        if (c + 1 < size && before(heap[c + 1], heap[c])) {
          c++;
        }
        if (!before(heap[c], v)) {
          break;
        }
        heap[pos] = heap[c];
        pos = c;
      }
      heap[pos] = v;
    }
  }

  /**
   * Squared L2 distance; four accumulators so the JIT can overlap the adds (it will not vectorise
   * them).
   */
  public static float dist2(float[] a, int ao, float[] b, int bo, int d) {
    float s0 = 0;
    float s1 = 0;
    float s2 = 0;
    float s3 = 0;
    int i = 0;
    for (; i + 3 < d; i += 4) {
      float t0 = a[ao + i] - b[bo + i];
      float t1 = a[ao + i + 1] - b[bo + i + 1];
      float t2 = a[ao + i + 2] - b[bo + i + 2];
      float t3 = a[ao + i + 3] - b[bo + i + 3];
      s0 += t0 * t0;
      s1 += t1 * t1;
      s2 += t2 * t2;
      s3 += t3 * t3;
    }
    for (; i < d; i++) {
      float t = a[ao + i] - b[bo + i];
      s0 += t * t;
    }
    return (s0 + s1) + (s2 + s3);
  }

  /** The plain O(n k d) algorithm, for tests. */
  static int[] bruteForce(float[] x, int n, int d, int k, float[] initial, int forcedFirst) {
    float[] minD = new float[n];
    if (initial != null) {
      System.arraycopy(initial, 0, minD, 0, n);
    } else {
      Arrays.fill(minD, Float.POSITIVE_INFINITY);
    }
    int[] chosen = new int[k];
    for (int t = 0; t < k; t++) {
      int next = 0;
      if (t == 0 && forcedFirst >= 0) {
        next = forcedFirst;
      } else {
        for (int i = 1; i < n; i++) {
          if (minD[i] > minD[next]) {
            next = i;
          }
        }
      }
      chosen[t] = next;
      for (int i = 0; i < n; i++) {
        float dist = dist2(x, i * d, x, next * d, d);
        if (dist < minD[i]) {
          minD[i] = dist;
        }
      }
    }
    return chosen;
  }

  /**
   * The largest distance from any point to its nearest selected point (the coreset's covering
   * radius).
   */
  public static double coveringRadius(float[] x, int n, int d, int[] selected) {
    double worst = 0;
    for (int i = 0; i < n; i++) {
      float best = Float.POSITIVE_INFINITY;
      for (int s : selected) {
        best = Math.min(best, dist2(x, i * d, x, s * d, d));
      }
      worst = Math.max(worst, best);
    }
    return Math.sqrt(worst);
  }
}
