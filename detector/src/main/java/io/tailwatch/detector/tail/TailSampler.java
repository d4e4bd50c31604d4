package io.tailwatch.detector.tail;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * TailedCore's TailSampler (ALGORITHMS.md §2; Jung et al., CVPR 2025): predicts every training
 * image's class size from the cosine similarities of global embeddings, without labels, and names
 * the images of small (tail) classes. Each step is a static method so it can be checked on its own.
 */
public final class TailSampler {
  /**
   * Share of a row's near-half-angle similarities kept as "same class" (t_i) and the 15% tail
   * budget.
   */
  static final double SAME_CLASS_QUANTILE = 0.85;

  static final double TAIL_SHARE = 0.15;

  private TailSampler() {}

  /**
   * @param classSizes predicted class size per image
   * @param groups partition of the images into predicted classes, sizes descending
   * @param maxK largest class size counted as tail = min(kElbow, k15)
   * @param tail indices of the tail images, ascending
   */
  public record Result(int[] classSizes, int[] groups, int kElbow, int k15, int maxK, int[] tail) {
    public boolean isTail(int image) {
      return classSizes[image] <= maxK;
    }
  }

  /** Runs every step on {@code n} global embeddings of {@code dim} values each. */
  public static Result run(float[] embeddings, int n, int dim) {
    if (n <= 0 || dim <= 0 || (long) n * dim > embeddings.length) {
      throw new IllegalArgumentException(
          "need " + n + " x " + dim + " embedding values, have " + embeddings.length);
    }
    return fromSimilarities(cosineSimilarities(embeddings, n, dim), n);
  }

  /** Steps 2-7 on a given row-major N x N similarity matrix. */
  public static Result fromSimilarities(double[] s, int n) {
    double[] t = rowThresholds(s, n);
    int[] counts = new int[n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        if (s[i * n + j] >= t[i]) {
          counts[i]++;
        }
      }
    }
    int[] sizes = classSizes(s, n, t, counts);
    int[] groups = partition(sizes);
    int kElbow = elbow(groups);
    int k15 = fifteenPercent(groups);
    int maxK = Math.min(kElbow, k15);
    int[] tail = java.util.stream.IntStream.range(0, n).filter(j -> sizes[j] <= maxK).toArray();
    return new Result(sizes, groups, kElbow, k15, maxK, tail);
  }

  /** Step 1: cosine similarity matrix (row-major, N x N) of the L2-normalised embeddings. */
  public static double[] cosineSimilarities(float[] x, int n, int dim) {
    double[] unit = new double[n * dim];
    for (int i = 0; i < n; i++) {
      double norm = 0;
      for (int d = 0; d < dim; d++) {
        norm += (double) x[i * dim + d] * x[i * dim + d];
      }
      norm = Math.sqrt(norm);
      for (int d = 0; d < dim; d++) {
        unit[i * dim + d] = norm > 0 ? x[i * dim + d] / norm : 0;
      }
    }
    double[] s = new double[n * n];
    java.util.stream.IntStream.range(0, n)
        .parallel()
        .forEach(
            i -> {
              for (int j = i; j < n; j++) {
                double dot = 0;
                for (int d = 0; d < dim; d++) {
                  dot += unit[i * dim + d] * unit[j * dim + d];
                }
                dot = Math.max(-1, Math.min(1, dot));
                s[i * n + j] = dot;
                s[j * n + i] = dot;
              }
            });
    return s;
  }

  /**
   * Step 2: per row, the minimum of the row quantised to floor(N s)/N gives the half-angle
   * threshold h_i = cos(arccos(m_i) / 2); of the raw similarities at or above h_i (ascending, L of
   * them) the threshold is t_i = H[L - floor(0.85 L)], or H[0] when floor(0.85 L) = 0.
   */
  public static double[] rowThresholds(double[] s, int n) {
    double[] t = new double[n];
    for (int i = 0; i < n; i++) {
      double m = Double.POSITIVE_INFINITY;
      for (int j = 0; j < n; j++) {
        m = Math.min(m, Math.floor(n * s[i * n + j]) / n);
      }
      double h = Math.cos(Math.acos(Math.max(-1, Math.min(1, m))) / 2);
      double[] row = Arrays.copyOfRange(s, i * n, i * n + n);
      Arrays.sort(row);
      int first = lowerBound(row, h);
      int l = n - first;
      if (l == 0) {
        // cannot happen for a similarity matrix (s_ii = 1 >= h), but a hand-made matrix may try it
        t[i] = row[n - 1];
        continue;
      }
      int keep = (int) Math.floor(SAME_CLASS_QUANTILE * l);
      t[i] = keep == 0 ? row[first] : row[first + l - keep];
    }
    return t;
  }

  private static int lowerBound(double[] sorted, double v) {
    int lo = 0;
    int hi = sorted.length;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (sorted[mid] < v) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  /**
   * Steps 3-4: with M_ij = [S_ij >= t_i] and row counts c_i, image j's class size is the mode of
   * {c_i : M_ij = 1} (ties to the smallest).
   */
  public static int[] classSizes(double[] s, int n, double[] t, int[] counts) {
    int[] sizes = new int[n];
    int[] histogram = new int[n + 1];
    for (int j = 0; j < n; j++) {
      Arrays.fill(histogram, 0);
      for (int i = 0; i < n; i++) {
        if (s[i * n + j] >= t[i]) {
          histogram[counts[i]]++;
        }
      }
      int best = 0;
      for (int c = 1; c <= n; c++) {
        if (histogram[c] > histogram[best]) {
          best = c; // strictly greater: ties keep the smaller size
        }
      }
      sizes[j] = Math.max(1, best);
    }
    return sizes;
  }

  /**
   * Step 5: partition the predicted sizes into classes. Sorted ascending (clamped to >= 1): while
   * the rest is at least as long as its smallest size k, emit a group of
   * min(round(mean(rest[0:k])), |rest|) and drop it; otherwise the rest joins the last group.
   * Returns group sizes descending.
   */
  public static int[] partition(int[] sizes) {
    int[] rest = Arrays.stream(sizes).map(v -> Math.max(1, v)).sorted().toArray();
    List<Integer> groups = new ArrayList<>();
    int from = 0;
    while (from < rest.length) {
      int left = rest.length - from;
      if (left < rest[from]) {
        if (groups.isEmpty()) {
          groups.add(left);
        } else {
          groups.set(groups.size() - 1, groups.get(groups.size() - 1) + left);
        }
        break;
      }
      int k = rest[from];
      double sum = 0;
      for (int i = from; i < from + k; i++) {
        sum += rest[i];
      }
      int size =
          (int) Math.min(Math.rint(sum / k), left); // rint: round half to even, as Python's round
      size = Math.max(1, size);
      groups.add(size);
      from += size;
    }
    return groups.stream()
        .sorted((a, b) -> Integer.compare(b, a))
        .mapToInt(Integer::intValue)
        .toArray();
  }

  /**
   * Step 6a: the elbow of the descending group sizes: the point farthest (orthogonally) from the
   * line through the first and the last (g, n_g); its size. One group, or all equal: the first
   * size.
   */
  public static int elbow(int[] groupsDescending) {
    int g = groupsDescending.length;
    if (g == 1 || groupsDescending[0] == groupsDescending[g - 1]) {
      return groupsDescending[0];
    }
    double x1 = 0;
    double y1 = groupsDescending[0];
    double x2 = g - 1;
    double y2 = groupsDescending[g - 1];
    double length = Math.hypot(x2 - x1, y2 - y1);
    int best = 0;
    double bestDistance = -1;
    for (int i = 0; i < g; i++) {
      double d =
          Math.abs((y2 - y1) * i - (x2 - x1) * groupsDescending[i] + x2 * y1 - y2 * x1) / length;
      if (d > bestDistance) {
        bestDistance = d;
        best = i;
      }
    }
    return groupsDescending[best];
  }

  /**
   * Step 6b: T = floor(0.15 * total); k = how many of the smallest groups fit in T together; K15 =
   * n[min(G - k, G - 1)] (descending index).
   */
  public static int fifteenPercent(int[] groupsDescending) {
    int g = groupsDescending.length;
    long total = Arrays.stream(groupsDescending).asLongStream().sum();
    long budget = (long) Math.floor(TAIL_SHARE * total);
    int k = 0;
    long cumulative = 0;
    for (int i = g - 1; i >= 0; i--) {
      cumulative += groupsDescending[i];
      if (cumulative > budget) {
        break;
      }
      k++;
    }
    return groupsDescending[Math.min(g - k, g - 1)];
  }
}
