package io.tailwatch.flink.adapt;

import io.tailwatch.detector.online.OnlineDecision;
import io.tailwatch.detector.online.OnlineScoreStatistics;
import java.io.Serializable;

/**
 * What the scoring operator does online (ALGORITHMS.md §6), from the {@code threshold.*}, {@code
 * statistics.*} and {@code bank-update.*} options.
 *
 * @param adaptiveThreshold alert above the scope's (1 - alpha) quantile once warmed up; else the
 *     fixed threshold
 * @param statisticsIntervalMs how often each scope's snapshot goes to the statistics output (0 =
 *     never)
 * @param bankUpdates collect bank-update candidates (weighted reservoir) and hand them over every
 *     interval
 * @param gaussianWeighting reservoir priority u^(1/w(s)) with the Gaussian-aligned weight; false =
 *     uniform (w = 1)
 * @param weightExponent the priority weight is w(s)^exponent (1 = as §6 states it)
 * @param perSource scopes are line x modality x source instead of line x modality ({@link
 *     ScopeKey})
 */
public record Adaptation(
    OnlineScoreStatistics.Config statistics,
    boolean adaptiveThreshold,
    long statisticsIntervalMs,
    boolean bankUpdates,
    boolean gaussianWeighting,
    int reservoirSize,
    int patchesPerFrame,
    long updateIntervalMs,
    double weightExponent,
    boolean perSource)
    implements Serializable {
  private static final long serialVersionUID = 3L;

  /** The control record's reason by which an operator accepts a line's drift. */
  public static final String ACCEPT_DRIFT = "accept-drift";

  public Adaptation {
    OnlineDecision.checkExponent(weightExponent);
  }

  /** Scopes per line x modality. */
  public Adaptation(
      OnlineScoreStatistics.Config statistics,
      boolean adaptiveThreshold,
      long statisticsIntervalMs,
      boolean bankUpdates,
      boolean gaussianWeighting,
      int reservoirSize,
      int patchesPerFrame,
      long updateIntervalMs,
      double weightExponent) {
    this(
        statistics,
        adaptiveThreshold,
        statisticsIntervalMs,
        bankUpdates,
        gaussianWeighting,
        reservoirSize,
        patchesPerFrame,
        updateIntervalMs,
        weightExponent,
        false);
  }

  /** Untempered weights (bank-update.weight-exponent 1), scopes per line x modality. */
  public Adaptation(
      OnlineScoreStatistics.Config statistics,
      boolean adaptiveThreshold,
      long statisticsIntervalMs,
      boolean bankUpdates,
      boolean gaussianWeighting,
      int reservoirSize,
      int patchesPerFrame,
      long updateIntervalMs) {
    this(
        statistics,
        adaptiveThreshold,
        statisticsIntervalMs,
        bankUpdates,
        gaussianWeighting,
        reservoirSize,
        patchesPerFrame,
        updateIntervalMs,
        1);
  }

  /**
   * Whether the scoring operator needs per-line keyed state: an online threshold, bank updates or
   * statistics snapshots. Keyed scoring sends all frames of a line to one subtask (and adds a
   * network shuffle before it).
   */
  public boolean keyed() {
    return adaptiveThreshold || bankUpdates || statisticsIntervalMs > 0;
  }

  /** Fixed threshold, no statistics, no bank updates. */
  public static Adaptation off() {
    return new Adaptation(
        OnlineScoreStatistics.Config.defaults(), false, 0, false, true, 1, 1, 60_000);
  }
}
