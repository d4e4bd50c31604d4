package io.tailwatch.detector.online;

import java.util.function.DoubleFunction;

/**
 * One frame's decision in the online loop of ALGORITHMS.md §6, the same for the scoring operator and
 * {@link AdaptationReplay}: the threshold in force, alert or not, the frame's weight; then a non-alerting frame
 * is offered to the bank-update reservoir with priority u^(1/w) and the score enters the statistics.
 */
public final class OnlineDecision {
  private OnlineDecision() {}

  /** @param weight w(s) with Gaussian weighting, else 1 */
  public record Verdict(double threshold, boolean alerted, double weight) {}

  /**
   * The threshold in force: the scope's (1 - alpha) quantile when adaptive and warmed up, else {@code fixed}.
   *
   * @param stats the scope's statistics; null when the frame has no scope (then always {@code fixed})
   */
  public static double threshold(OnlineScoreStatistics stats, double fixed, boolean adaptive) {
    return stats != null && adaptive ? stats.threshold(fixed) : fixed;
  }

  public static Verdict judge(OnlineScoreStatistics stats, double fixed, boolean adaptive, boolean gaussianWeighting,
      double score) {
    double threshold = threshold(stats, fixed, adaptive);
    double weight = stats != null && gaussianWeighting ? stats.weight(score) : 1;
    return new Verdict(threshold, score > threshold, weight);
  }

  /**
   * After {@link #judge}: a non-alerting frame is offered to {@code reservoir} (null = no bank updates), the
   * candidate built only if its key is accepted; then the score enters {@code stats} (weights and threshold
   * were read before it, as for every frame).
   *
   * @param candidate builds the reservoir entry from the drawn key
   */
  public static <T> void record(OnlineScoreStatistics stats, WeightedReservoir<T> reservoir, Verdict verdict,
      double score, DoubleFunction<T> candidate) {
    if (reservoir != null && !verdict.alerted()) {
      double key = reservoir.drawKey(verdict.weight());
      if (reservoir.accepts(key)) {
        reservoir.add(key, candidate.apply(key));
      }
    }
    stats.add(score, verdict.alerted());
  }
}
