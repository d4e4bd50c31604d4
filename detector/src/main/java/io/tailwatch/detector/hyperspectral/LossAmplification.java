package io.tailwatch.detector.hyperspectral;

import java.util.Locale;

/**
 * LAMP's amplification A of a per-sample reconstruction loss L (ALGORITHMS.md section 4), applied
 * in training only; scores are always the un-amplified error.
 *
 * <ul>
 *   <li>{@code scale}: c L (under Adam nearly a no-op; under SGD a learning-rate change)
 *   <li>{@code power}: (L + eps)^gamma, gamma below 1 by default 0.5 (eps keeps the gradient finite
 *       at 0)
 *   <li>{@code exp}: exp(alpha L) - 1
 *   <li>{@code log-barrier}: -log(1 - L / c) for L / c in [0, 1); c is chosen by the trainer above
 *       every loss it sees at the start, and L / c is capped just below 1
 * </ul>
 */
public record LossAmplification(Mode mode, double parameter) {
  public static final double POWER_EPS = 1e-8;
  public static final double BARRIER_CAP = 1 - 1e-6;

  public enum Mode {
    NONE,
    SCALE,
    POWER,
    EXP,
    LOG_BARRIER;

    public static Mode parse(String s) {
      try {
        return valueOf(s.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "LAMP mode must be one of none, scale, power, exp, log-barrier; got '" + s + "'");
      }
    }

    public String label() {
      return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
  }

  public LossAmplification {
    if (!(parameter > 0) || Double.isInfinite(parameter)) {
      throw new IllegalArgumentException("LAMP parameter must be positive, was " + parameter);
    }
    if (mode == Mode.POWER && parameter > 1) {
      throw new IllegalArgumentException(
          "LAMP power gamma must be in (0, 1] to amplify small losses, was " + parameter);
    }
  }

  public static final LossAmplification NONE = new LossAmplification(Mode.NONE, 1);

  /**
   * The default constant per mode: scale c = 1, power gamma = 0.5, exp alpha = 1, log-barrier c =
   * 1.
   */
  public static LossAmplification of(Mode mode) {
    return new LossAmplification(mode, mode == Mode.POWER ? 0.5 : 1);
  }

  public double apply(double loss) {
    return switch (mode) {
      case NONE -> loss;
      case SCALE -> parameter * loss;
      case POWER -> Math.pow(loss + POWER_EPS, parameter);
      case EXP -> Math.expm1(parameter * loss);
      case LOG_BARRIER -> -Math.log1p(-Math.min(loss / parameter, BARRIER_CAP));
    };
  }

  /** dA/dL (0 past the log-barrier's cap, where the value is held). */
  public double derivative(double loss) {
    return switch (mode) {
      case NONE -> 1;
      case SCALE -> parameter;
      case POWER -> parameter * Math.pow(loss + POWER_EPS, parameter - 1);
      case EXP -> parameter * Math.exp(parameter * loss);
      case LOG_BARRIER ->
          loss / parameter >= BARRIER_CAP ? 0 : 1 / (parameter * (1 - loss / parameter));
    };
  }

  public String describe() {
    return switch (mode) {
      case NONE -> "none";
      case SCALE -> "scale c=" + parameter;
      case POWER -> "power gamma=" + parameter;
      case EXP -> "exp alpha=" + parameter;
      case LOG_BARRIER -> String.format(Locale.ROOT, "log-barrier c=%.4g", parameter);
    };
  }
}
