package io.tailwatch.detector.bank;

import io.tailwatch.detector.util.Progress;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Greedy k-centre coreset selection (PatchCore's memory-bank subsampling): repeatedly take the point farthest
 * from everything selected so far.
 *
 * <p>The plain loop computes n distances per selected point: n*k*d work (600k patches to 60k at d = 32 is
 * 1.2e12 multiply-adds). This implementation returns exactly the same selection (tested against the plain
 * loop) with lazy evaluation: see {@link #select}. Triangle-inequality pruning was tried first and skipped
 * under a third of the work on CNN patch features (distances concentrate), so it is not used.
 */
public final class GreedyCoreset {
  private static final int APPROXIMATE_START_POINTS = 10;

  private GreedyCoreset() {}

  /**
   * PatchCore's approximate greedy coreset: points projected to {@code projectionDim} (no projection if the
   * data is not wider), initial anchor = mean distance to 10 random points, then max-min selection.
   *
   * @return indices of the selected points, in selection order
   */
  public static int[] approximate(float[] data, int n, int dim, int select, int projectionDim, long seed,
      Progress progress) {
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
    return select(x, n, d, select, anchor, -1, progress);
  }

  /** Exact greedy coreset on the full vectors from a seeded random start (TailedCore's choice). */
  public static int[] exact(float[] data, int n, int dim, int select, long seed, Progress progress) {
    check(data, n, dim, select);
    int start = new SplittableRandom(seed).nextInt(n);
    return select(data, n, dim, select, null, start, progress);
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
      throw new IllegalArgumentException("need n x dim = " + n + " x " + dim + " values, have " + data.length);
    }
    if (select <= 0 || select > n) {
      throw new IllegalArgumentException("cannot select " + select + " of " + n + " points");
    }
  }

  /**
   * Max-min selection, lazily. {@code initial} are starting squared distances (PatchCore's anchors), or null
   * for +infinity with {@code forcedFirst} as the first centre.
   *
   * <p>minD only decreases, so a value computed against the first {@code seen[i]} centres is an upper bound of
   * the true one. Points sit in a max-heap keyed by these bounds; only the point on top is brought up to date,
   * one centre at a time, and only until it drops below the runner-up. A point on top that is up to date is the
   * exact argmax (everything else is bounded by its key). Points that get well covered early are never touched
   * again, which is most of them: the work falls far below the n*k distances of the plain loop, and each
   * refresh reads centres sequentially.
   */
  static int[] select(float[] x, int n, int d, int k, float[] initial, int forcedFirst, Progress progress) {
    float[] minD = new float[n];
    if (initial != null) {
      System.arraycopy(initial, 0, minD, 0, n);
    } else {
      Arrays.fill(minD, Float.POSITIVE_INFINITY);
    }
    int[] seen = new int[n];
    // Centres stored dimension-major: refreshing one point against a run of centres is then an element-wise
    // loop over centres (which the JIT vectorises), not a per-centre reduction (which it does not).
    float[][] centresByDim = new float[d][k];
    float[] acc = new float[REFRESH_BLOCK];
    int[] chosen = new int[k];
    long step = Math.max(1, k / 200);
    long computed = 0;
    MaxHeap heap = new MaxHeap(minD, n);
    for (int t = 0; t < k; t++) {
      int next;
      if (t == 0 && forcedFirst >= 0) {
        next = forcedFirst;
      } else {
        while (true) {
          int i = heap.top();
          if (seen[i] == t) {
            next = i;
            break;
          }
          int runnerUp = heap.runnerUp();
          do {
            int from = seen[i];
            int len = Math.min(REFRESH_BLOCK, t - from);
            float best = nearest(x, i * d, d, centresByDim, from, len, acc);
            computed += len;
            seen[i] = from + len;
            if (best < minD[i]) {
              minD[i] = best;
            }
          } while (seen[i] < t && (runnerUp < 0 || !heap.before(runnerUp, i)));
          heap.siftDownTop();
        }
      }
      chosen[t] = next;
      for (int j = 0; j < d; j++) {
        centresByDim[j][t] = x[next * d + j];
      }
      if ((t + 1) % step == 0 || t + 1 == k) {
        progress.update(t + 1, k);
      }
    }
    lastDistanceComputations = computed;
    return chosen;
  }

  private static final int REFRESH_BLOCK = 256;

  /** Smallest squared distance from point {@code x[xo..xo+d)} to centres [from, from+len). */
  private static float nearest(float[] x, int xo, int d, float[][] centresByDim, int from, int len, float[] acc) {
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

  /** Point-to-centre distances the last selection computed (for benchmarks). */
  static volatile long lastDistanceComputations;

  /** Binary max-heap of point indices keyed by (value desc, index asc), the brute-force argmax's order. */
  private static final class MaxHeap {
    private final float[] key;
    private final int[] heap;
    private final int size;

    MaxHeap(float[] key, int n) {
      this.key = key;
      this.size = n;
      heap = new int[n];
      for (int i = 0; i < n; i++) {
        heap[i] = i;
      }
      for (int i = n / 2 - 1; i >= 0; i--) {
        siftDown(i);
      }
    }

    /** True if point a comes before point b. */
    boolean before(int a, int b) {
      return key[a] > key[b] || (key[a] == key[b] && a < b);
    }

    int top() {
      return heap[0];
    }

    /** The better child of the root, or -1. */
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

  /** Squared L2 distance; four accumulators so the JIT can overlap the adds (it will not vectorise them). */
  static float dist2(float[] a, int ao, float[] b, int bo, int d) {
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

  /** The largest distance from any point to its nearest selected point (the coreset's covering radius). */
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
