package io.tailwatch.detector.bank;

import java.util.Locale;

/** How the memory bank is subsampled. */
public enum CoresetMethod {
  /** PatchCore's approximate greedy (projection + mean-distance anchor). */
  APPROXIMATE,
  /** Greedy on full vectors from a random start. */
  EXACT,
  /** Uniform random subset (a baseline: markedly worse, kept for comparison). */
  RANDOM,
  /** Keep every patch. */
  NONE;

  public static CoresetMethod parse(String s) {
    try {
      return valueOf(s.trim().toUpperCase(Locale.ROOT));
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(
          "coreset method must be one of approximate, exact, random, none (was '" + s + "')");
    }
  }
}
