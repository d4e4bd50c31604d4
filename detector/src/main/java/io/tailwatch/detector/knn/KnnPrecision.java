package io.tailwatch.detector.knn;

import java.util.Locale;

/**
 * Arithmetic of the kNN distance pass. {@link #FP32} is exact; {@link #INT8} finds candidates with
 * an integer GEMM (uint8 queries x int8 bank, ONNX Runtime's {@code DynamicQuantizeMatMul}) and
 * re-ranks them with exact float distances, so a reported distance is always the true distance to
 * the bank vector it names.
 */
public enum KnnPrecision {
  FP32,
  INT8;

  public static KnnPrecision parse(String value) {
    try {
      return valueOf(value.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "unknown kNN precision '" + value + "' (use fp32 or int8)");
    }
  }

  /**
   * Each named precision once, fp32 first (so an int8 run can be compared with the exact one before
   * it).
   */
  public static java.util.List<KnnPrecision> parseAll(java.util.List<String> values) {
    return values.stream().map(KnnPrecision::parse).distinct().sorted().toList();
  }

  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
