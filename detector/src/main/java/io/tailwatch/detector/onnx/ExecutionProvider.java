package io.tailwatch.detector.onnx;

import java.util.Locale;

/** Where ONNX Runtime runs a graph. */
public enum ExecutionProvider {
  /**
   * CUDA when the runtime has it and it initialises, else CPU; a fallback is logged and reported.
   */
  AUTO,
  CPU,
  /** CUDA or fail: never silently CPU. */
  CUDA;

  public static ExecutionProvider parse(String value) {
    try {
      return valueOf(value.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException | NullPointerException e) {
      throw new IllegalArgumentException(
          "device must be one of auto, cpu, cuda (was '" + value + "')");
    }
  }
}
