package io.tailwatch.detector.util;

import java.nio.file.Path;
import java.util.Optional;

/**
 * Where models and datasets live: {@code TAILWATCH_MODEL_DIR} / {@code TAILWATCH_DATA_DIR}
 * (environment, or the same name as a system property), never inside the project.
 */
public final class SharedDirs {
  public static final String MODEL_DIR = "TAILWATCH_MODEL_DIR";
  public static final String DATA_DIR = "TAILWATCH_DATA_DIR";
  public static final String DEFAULT_BACKBONE_FILE = "mobilenetv2-12-int8-features.onnx";
  public static final String FP32_BACKBONE_FILE = "mobilenetv2-12-dequant-fp32-features.onnx";

  private SharedDirs() {}

  public static Optional<Path> fromEnv(String name) {
    String v = System.getProperty(name);
    if (v == null || v.isBlank()) {
      v = System.getenv(name);
    }
    return v == null || v.isBlank() ? Optional.empty() : Optional.of(Path.of(v));
  }

  /**
   * Resolves a backbone argument: an existing path, or an alias ({@code int8}, {@code fp32}) / file
   * name in the model directory.
   */
  public static Path backbone(String arg, Path modelDir) {
    String name =
        arg == null || arg.isBlank() || arg.equals("int8")
            ? DEFAULT_BACKBONE_FILE
            : arg.equals("fp32") ? FP32_BACKBONE_FILE : arg;
    Path direct = Path.of(name);
    if (direct.isAbsolute() || direct.getNameCount() > 1 || modelDir == null) {
      return direct;
    }
    return modelDir.resolve(name);
  }
}
