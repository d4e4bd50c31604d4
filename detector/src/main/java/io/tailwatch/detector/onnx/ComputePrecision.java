package io.tailwatch.detector.onnx;

import java.util.Locale;

/**
 * The floating-point precision a backbone graph computes in; its inputs and outputs stay float32
 * either way.
 */
public enum ComputePrecision {
  FP32,
  /**
   * Weights and activations in float16 ({@link Float16Conversion}). Meant for CUDA (tensor cores);
   * on CPU ONNX Runtime runs the ops it has no float16 kernel for in float32 between casts, so it
   * runs with fp16 rounding and no speed-up: good for measuring the accuracy change, not for speed.
   */
  FP16;

  public static ComputePrecision parse(String value) {
    try {
      return valueOf(value.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException | NullPointerException e) {
      throw new IllegalArgumentException(
          "precision must be one of fp32, fp16 (was '" + value + "')");
    }
  }
}
