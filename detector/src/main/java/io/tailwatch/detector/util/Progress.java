package io.tailwatch.detector.util;

/** Progress of long work, for CLI progress bars and logs. Implementations must be cheap. */
@FunctionalInterface
public interface Progress {
  Progress NONE = (done, total) -> {};

  void update(long done, long total);
}
