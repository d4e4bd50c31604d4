package io.tailwatch.detector.tail;

import io.tailwatch.detector.bank.GreedyCoreset;
import java.util.stream.IntStream;

/**
 * Local Outlier Factor with scikit-learn's semantics ({@code LocalOutlierFactor(n_neighbors=k)}
 * fitted on the data, the value returned being {@code -negative_outlier_factor_}): Euclidean
 * distances, each point's k nearest neighbours exclude the point itself, reach-dist(p, o) =
 * max(k-distance(o), d(p, o)), lrd(p) = 1 / (mean reach-dist + 1e-10), LOF(p) = mean over
 * neighbours of lrd(o) / lrd(p).
 *
 * <p>Work is one pass over the N x N distances per set on primitive arrays (half of them computed,
 * the other half mirrored), sets in parallel: TailedCore runs one set per feature-map position.
 *
 * <p>Hand-written: the JVM's LOF implementations (ELKI, Smile) work on object graphs per point and
 * differ from scikit-learn in details the TailedCore protocol depends on; this is a few dozen lines
 * on primitive arrays, tested against hand-computed values.
 */
public final class LocalOutlierFactor {
  private LocalOutlierFactor() {}

  /**
   * LOF of each of {@code n} points of {@code dim} values starting at {@code offset} in {@code
   * data}.
   */
  public static double[] scores(float[] data, int offset, int n, int dim, int k) {
    if (n < 2) {
      throw new IllegalArgumentException("LOF needs at least 2 points, got " + n);
    }
    if (k < 1) {
      throw new IllegalArgumentException("LOF needs k >= 1, got " + k);
    }
    int kk = Math.min(k, n - 1); // as scikit-learn: n_neighbors is capped at n - 1
    float[] dist = new float[n * n];
    for (int i = 0; i < n; i++) {
      int a = offset + i * dim;
      for (int j = i + 1; j < n; j++) {
        float v = (float) Math.sqrt(GreedyCoreset.dist2(data, a, data, offset + j * dim, dim));
        dist[i * n + j] = v;
        dist[j * n + i] = v;
      }
    }
    int[] neighbours = new int[n * kk];
    float[] neighbourDist = new float[n * kk];
    for (int i = 0; i < n; i++) {
      nearest(dist, n, i, kk, neighbours, neighbourDist);
    }
    double[] kDistance = new double[n];
    for (int i = 0; i < n; i++) {
      kDistance[i] = neighbourDist[i * kk + kk - 1];
    }
    double[] lrd = new double[n];
    for (int i = 0; i < n; i++) {
      double sum = 0;
      for (int m = 0; m < kk; m++) {
        int o = neighbours[i * kk + m];
        sum += Math.max(kDistance[o], neighbourDist[i * kk + m]);
      }
      lrd[i] = 1.0 / (sum / kk + 1e-10);
    }
    double[] lof = new double[n];
    for (int i = 0; i < n; i++) {
      double sum = 0;
      for (int m = 0; m < kk; m++) {
        sum += lrd[neighbours[i * kk + m]] / lrd[i];
      }
      lof[i] = sum / kk;
    }
    return lof;
  }

  /** The k nearest of row i (itself excluded), ascending by distance, ties by index. */
  private static void nearest(float[] dist, int n, int i, int k, int[] idx, float[] d) {
    int base = i * k;
    int filled = 0;
    for (int j = 0; j < n; j++) {
      if (j == i) {
        continue;
      }
      float v = dist[i * n + j];
      if (filled == k && v >= d[base + k - 1]) {
        continue;
      }
      int pos = filled == k ? k - 1 : filled++;
      while (pos > 0 && d[base + pos - 1] > v) {
        d[base + pos] = d[base + pos - 1];
        idx[base + pos] = idx[base + pos - 1];
        pos--;
      }
      d[base + pos] = v;
      idx[base + pos] = j;
    }
  }

  /**
   * LOF per feature-map position: for each of {@code positions}, over the {@code images} vectors at
   * that position. {@code patches} is image-major ({@code [(image * positions + p) * dim]}); the
   * result is in the same order. Positions run in parallel.
   */
  public static float[] perPosition(float[] patches, int images, int positions, int dim, int k) {
    if ((long) images * positions * dim > patches.length) {
      throw new IllegalArgumentException(
          "need " + (long) images * positions * dim + " values, have " + patches.length);
    }
    float[] out = new float[images * positions];
    IntStream.range(0, positions)
        .parallel()
        .forEach(
            p -> {
              float[] column = new float[images * dim];
              for (int i = 0; i < images; i++) {
                System.arraycopy(patches, (i * positions + p) * dim, column, i * dim, dim);
              }
              double[] lof = scores(column, 0, images, dim, k);
              for (int i = 0; i < images; i++) {
                out[i * positions + p] = (float) lof[i];
              }
            });
    return out;
  }
}
