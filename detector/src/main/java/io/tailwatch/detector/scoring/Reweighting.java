package io.tailwatch.detector.scoring;

import io.tailwatch.detector.bank.MemoryBank;
import java.nio.FloatBuffer;

/**
 * PatchCore's image-score reweighting (paper Eq. 7, anomalib's form): with m* the bank vector
 * nearest to the most anomalous test patch and N_b(m*) the b bank vectors nearest to m* (m* first),
 * weight = 1 - softmax(||m_test - n|| for n in N_b(m*))[0]. A patch whose nearest bank vector lies
 * in a dense region keeps its score; one matched to an isolated bank vector (likely itself an
 * outlier) is trusted more.
 */
public final class Reweighting {
  public static final int DEFAULT_NEIGHBOURS = 9;

  private Reweighting() {}

  public static double weight(
      MemoryBank bank, float[] testPatch, int testOffset, int nearest, int b) {
    int dim = bank.dim();
    int n = bank.count();
    int k = Math.min(b, n);
    FloatBuffer v = bank.vectors();
    float[] mStar = new float[dim];
    bank.vector(nearest, mStar, 0);
    // b nearest bank vectors of m* by insertion into a small sorted list
    int[] idx = new int[k];
    float[] dist = new float[k];
    java.util.Arrays.fill(dist, Float.POSITIVE_INFINITY);
    float[] row = new float[dim];
    for (int i = 0; i < n; i++) {
      v.get(i * dim, row, 0, dim);
      float d = 0;
      for (int j = 0; j < dim; j++) {
        float t = row[j] - mStar[j];
        d += t * t;
      }
      if (i == nearest) {
        d = -1; // m* itself comes first, as in the reference (distance 0, ties broken towards it)
      }
      if (d < dist[k - 1]) {
        int p = k - 1;
        while (p > 0 && dist[p - 1] > d) {
          dist[p] = dist[p - 1];
          idx[p] = idx[p - 1];
          p--;
        }
        dist[p] = d;
        idx[p] = i;
      }
    }
    double[] e = new double[k];
    double max = Double.NEGATIVE_INFINITY;
    for (int i = 0; i < k; i++) {
      bank.vector(idx[i], row, 0);
      double d = 0;
      for (int j = 0; j < dim; j++) {
        double t = row[j] - testPatch[testOffset + j];
        d += t * t;
      }
      e[i] = Math.sqrt(d);
      max = Math.max(max, e[i]);
    }
    double sum = 0;
    for (int i = 0; i < k; i++) {
      e[i] = Math.exp(e[i] - max);
      sum += e[i];
    }
    return 1 - e[0] / sum;
  }
}
