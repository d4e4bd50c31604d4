package io.tailwatch.tools.evaluation;

import io.tailwatch.detector.eval.EvaluationResult;

/**
 * One method on one class: its result, or the error that stopped it (the run goes on with the
 * next).
 *
 * @param seconds wall time of fit, calibration and scoring together
 */
public record ClassOutcome(
    String className, String method, EvaluationResult result, String error, double seconds) {
  public ClassOutcome {
    if ((result == null) == (error == null)) {
      throw new IllegalArgumentException("an outcome has a result or an error, not both");
    }
  }

  public static ClassOutcome ok(String className, EvaluationResult r, double seconds) {
    return new ClassOutcome(className, r.method(), r, null, seconds);
  }

  /** The error as one line: the exception's class and message (the stack goes to the log). */
  public static ClassOutcome failed(
      String className, String method, Throwable error, double seconds) {
    String message = error.getMessage() == null ? "" : ": " + error.getMessage();
    return new ClassOutcome(
        className,
        method,
        null,
        (error.getClass().getSimpleName() + message).replace('\n', ' '),
        seconds);
  }

  public boolean failed() {
    return error != null;
  }
}
