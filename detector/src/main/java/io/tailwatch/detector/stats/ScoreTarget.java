package io.tailwatch.detector.stats;

import java.util.Locale;

/**
 * The target density p of the importance weights w = p(s) / q(s) (ALGORITHMS.md §3 and §6): the one
 * list of targets, used by the online score statistics of the streaming job and by the
 * importance-weighted loss.
 *
 * <ul>
 *   <li>ROBUST: N(median, (1.4826 MAD)^2), §6 as written and the default. As narrow as the majority
 *       mode, so it up-weights only just above the mode.
 *   <li>MOMENT: N(mean, sd^2) (§3's alternative). Widened by the tail, it up-weights a shoulder
 *       further out.
 *   <li>FLAT: not a Gaussian; p uniform over the observed range, so w = 1/q up to the normalisation
 *       (sparse score regions, shoulder and far tail alike, are up-weighted; an extension of §6).
 *   <li>QUANTILE: the Gaussian that shares the observed median and (1 - alpha) quantile, N(median,
 *       sigma^2) with sigma = (q(1 - alpha) - median) / z(1 - alpha): its shoulder reaches the
 *       threshold, so frames just below it are up-weighted. Never narrower than ROBUST. Needs a
 *       false-alarm rate alpha, so only the online statistics offer it.
 * </ul>
 */
public enum ScoreTarget {
  // append only: the ordinal is part of the online statistics' serialised state
  ROBUST,
  MOMENT,
  FLAT,
  QUANTILE;

  /** The names a setting accepts, lower case, for messages: "robust, moment, flat or quantile". */
  public static String choices() {
    return choices(values());
  }

  /** The given targets' names for a message, e.g. "robust or moment". */
  public static String choices(ScoreTarget... targets) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < targets.length; i++) {
      b.append(i == 0 ? "" : i == targets.length - 1 ? " or " : ", ").append(targets[i].label());
    }
    return b.toString();
  }

  /** The target named {@code name} (any case), or null when there is none. */
  public static ScoreTarget parse(String name) {
    for (ScoreTarget t : values()) {
      if (t.name().equalsIgnoreCase(name)) {
        return t;
      }
    }
    return null;
  }

  /** The lower-case name settings use. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
