package io.tailwatch.detector.util;

import java.util.SplittableRandom;

/**
 * Seeded random permutations (Fisher-Yates), for splits, samples and mini-batch orders that repeat
 * per seed.
 */
public final class Permutations {
  private Permutations() {}

  /** 0..n-1 in random order. */
  public static int[] shuffled(int n, SplittableRandom random) {
    int[] p = new int[n];
    for (int i = 0; i < n; i++) {
      p[i] = i;
    }
    for (int i = n - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }
}
