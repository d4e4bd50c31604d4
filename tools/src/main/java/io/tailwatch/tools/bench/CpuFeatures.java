package io.tailwatch.tools.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The CPU a benchmark ran on, as every benchmark table states it: model, the cores this JVM may
 * use, and which of the vector extensions that decide ONNX Runtime's and the JDK's kernels are
 * present (AVX2/FMA, AVX-512, VNNI for int8 GEMM, BF16, AMX). Read from /proc/cpuinfo (Linux).
 */
public final class CpuFeatures {
  /** The flags that matter here, in the order they are printed. */
  static final List<String> RELEVANT =
      List.of(
          "avx2",
          "fma",
          "avx512f",
          "avx512bw",
          "avx512_vnni",
          "avx_vnni",
          "avx512_bf16",
          "amx_bf16",
          "amx_int8");

  private CpuFeatures() {}

  /** One line for a benchmark table. */
  public static String describe() {
    return describe(Path.of("/proc/cpuinfo"), Runtime.getRuntime().availableProcessors());
  }

  static String describe(Path cpuinfo, int cores) {
    String model = null;
    Set<String> flags = new LinkedHashSet<>();
    try {
      for (String line : Files.readAllLines(cpuinfo)) {
        int colon = line.indexOf(':');
        if (colon < 0) {
          continue;
        }
        String key = line.substring(0, colon).trim();
        String value = line.substring(colon + 1).trim();
        if (model == null && key.equals("model name")) {
          model = value;
        } else if (flags.isEmpty() && (key.equals("flags") || key.equals("Features"))) {
          flags.addAll(List.of(value.toLowerCase(Locale.ROOT).split("\\s+")));
        }
      }
    } catch (IOException e) {
      return "CPU: "
          + cores
          + " cores available to the JVM; features unknown ("
          + cpuinfo
          + " unreadable)";
    }
    List<String> present = new ArrayList<>();
    List<String> absent = new ArrayList<>();
    for (String f : RELEVANT) {
      (flags.contains(f) ? present : absent).add(f);
    }
    return "CPU: "
        + (model == null ? "unknown model" : model)
        + ", "
        + cores
        + " cores available to the JVM; features: "
        + (present.isEmpty() ? "none of " + RELEVANT : String.join(" ", present))
        + (absent.isEmpty() ? "" : " (absent: " + String.join(" ", absent) + ")");
  }
}
