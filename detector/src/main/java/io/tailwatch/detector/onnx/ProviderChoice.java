package io.tailwatch.detector.onnx;

/**
 * What was asked for and what a session actually runs on. {@code fallbackReason} is non-null when
 * AUTO wanted CUDA and got CPU; callers expose it as a log line and a metric.
 */
public record ProviderChoice(
    ExecutionProvider requested, ExecutionProvider actual, String fallbackReason) {
  public boolean fellBack() {
    return fallbackReason != null;
  }

  @Override
  public String toString() {
    return actual
        + (requested == ExecutionProvider.AUTO ? " (auto)" : "")
        + (fellBack() ? " [CUDA unavailable: " + fallbackReason + "]" : "");
  }
}
