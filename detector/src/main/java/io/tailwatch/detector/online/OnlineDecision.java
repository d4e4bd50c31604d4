package io.tailwatch.detector.online;

import java.util.function.DoubleFunction;

/**
 * One frame's decision in the online loop of ALGORITHMS.md §6, the same for the scoring operator
 * and {@link AdaptationReplay}: the threshold in force, alert or not, the frame's weight; then a
 * non-alerting frame is offered to the bank-update reservoir with priority u^(1/w) and the score
 * enters the statistics (unless the frame alerted while its line is in drift).
 */
public final class OnlineDecision {
  private OnlineDecision() {}

  /**
   * @param weight the reservoir priority weight: w(s)^exponent with Gaussian weighting, else 1
   */
  public record Verdict(double threshold, boolean alerted, double weight) {}

  /** Largest weight exponent accepted: w in [0.1, 10] to the 4th spans 8 decades already. */
  public static final double MAX_EXPONENT = 4;

  /**
   * Null when the exponent is in (0, {@link #MAX_EXPONENT}], else what is wrong ("must be in ...,
   * was x").
   */
  public static String exponentProblem(double exponent) {
    return exponent > 0 && exponent <= MAX_EXPONENT
        ? null
        : "must be in (0, " + MAX_EXPONENT + "], was " + exponent;
  }

  /**
   * @throws IllegalArgumentException unless the exponent is in (0, {@link #MAX_EXPONENT}]
   */
  public static double checkExponent(double exponent) {
    String problem = exponentProblem(exponent);
    if (problem != null) {
      throw new IllegalArgumentException("weight exponent " + problem);
    }
    return exponent;
  }

  /**
   * The threshold in force: the scope's (1 - alpha) quantile when adaptive and warmed up, else
   * {@code fixed}.
   *
   * @param stats the scope's statistics; null when the frame has no scope (then always {@code
   *     fixed})
   */
  public static double threshold(OnlineScoreStatistics stats, double fixed, boolean adaptive) {
    return stats != null && adaptive ? stats.threshold(fixed) : fixed;
  }

  public static Verdict judge(
      OnlineScoreStatistics stats,
      double fixed,
      boolean adaptive,
      boolean gaussianWeighting,
      double score) {
    return judge(stats, fixed, adaptive, gaussianWeighting, 1, score);
  }

  /**
   * @param exponent tempers the weight, w^exponent (1 = as §6 states it; above 1 sharpens the
   *     preference for the score distribution's shoulder and against its extreme tail). Weighted
   *     reservoir sampling is invariant to scaling all weights, so the tempered weights need no
   *     renormalising.
   */
  public static Verdict judge(
      OnlineScoreStatistics stats,
      double fixed,
      boolean adaptive,
      boolean gaussianWeighting,
      double exponent,
      double score) {
    double threshold = threshold(stats, fixed, adaptive);
    double weight = 1;
    if (stats != null && gaussianWeighting) {
      double w = stats.weight(score);
      weight = exponent == 1 ? w : Math.pow(w, exponent);
    }
    return new Verdict(threshold, score > threshold, weight);
  }

  /**
   * After {@link #judge}: a non-alerting frame is offered to {@code reservoir} (null = no bank
   * updates), the candidate built only if its key is accepted; then the score enters {@code stats}
   * (weights and threshold were read before it, as for every frame).
   *
   * @param candidate builds the reservoir entry from the drawn key
   */
  public static <T> void record(
      OnlineScoreStatistics stats,
      WeightedReservoir<T> reservoir,
      Verdict verdict,
      double score,
      DoubleFunction<T> candidate) {
    // after an accepted drift the new look is normal: its frames are candidates while the
    // statistics warm up again, alerted or not
    if (reservoir != null && (!verdict.alerted() || stats.acceptingDrift())) {
      double key = reservoir.drawKey(verdict.weight());
      if (reservoir.accepts(key)) {
        reservoir.add(key, candidate.apply(key));
      }
    }
    stats.add(score, verdict.alerted());
  }
}
