package io.tailwatch.tools;

import ai.onnxruntime.OrtException;
import io.tailwatch.detector.features.BackboneModel;
import io.tailwatch.detector.features.FeatureExtractor;
import io.tailwatch.detector.features.PatchEmbeddingSpec;
import io.tailwatch.detector.onnx.ComputePrecision;
import io.tailwatch.detector.onnx.ExecutionProvider;
import io.tailwatch.detector.util.SharedDirs;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Option;

/** Options every command that runs the backbone shares. */
final class BackboneOptions {
  @Option(
      names = "--model-dir",
      description =
          "Folder with the ONNX models (default: $TAILWATCH_MODEL_DIR, else ~/.tailwatch/models).")
  Path modelDir;

  @Option(
      names = "--backbone",
      description = "int8 (default), fp32, a file name in the model dir, or a path.")
  String backbone;

  @Option(
      names = "--device",
      defaultValue = "auto",
      description = "auto (CUDA if available, else CPU), cpu, cuda. Default: ${DEFAULT-VALUE}.")
  String device;

  @Option(
      names = "--precision",
      defaultValue = "fp32",
      description =
          "Backbone arithmetic: fp32, or fp16 (the "
              + "graph converted to float16; needs a float32 model, e.g. --backbone fp32; meant for CUDA; on CPU it shows the "
              + "accuracy change, not a speed-up). Default: ${DEFAULT-VALUE}.")
  String precision;

  @Option(
      names = "--threads",
      defaultValue = "0",
      description = "ONNX Runtime intra-op threads (0 = all cores).")
  int threads;

  @Option(
      names = "--layers",
      split = ",",
      description = "Feature outputs, finest first (default feat_s8,feat_s16).")
  List<String> layers;

  @Option(
      names = "--pretrain-dim",
      description =
          "Per-layer pooled dimension; 0 (default) = per channel (3x3 mean "
              + "of each channel), else at most the smallest layer's C*9.")
  Integer pretrainDim;

  @Option(
      names = "--target-dim",
      description = "Patch vector dimension (default: the stacked layers', at most 128).")
  Integer targetDim;

  /** Fails on bad option values before any file is read or model loaded. */
  void validate() {
    provider();
    precision();
    if (threads < 0) {
      throw new IllegalArgumentException("--threads must be >= 0 (0 = all cores), was " + threads);
    }
    if (targetDim != null && targetDim <= 0) {
      throw new IllegalArgumentException("--target-dim must be positive, was " + targetDim);
    }
  }

  Path resolveModelDir() {
    return io.tailwatch.detector.features.ModelStore.modelDir(modelDir);
  }

  BackboneModel loadBackbone(String fallbackName) throws IOException {
    String name = backbone != null ? backbone : fallbackName;
    Path path = SharedDirs.backbone(name, resolveModelDir());
    if (!java.nio.file.Files.isRegularFile(path) && backbone == null) {
      throw new IOException(
          "no backbone at "
              + path
              + ": run 'tailwatch models pull' (it writes there), or point --model-dir or "
              + "TAILWATCH_MODEL_DIR at the folder holding it (README 'Models and data')");
    }
    return BackboneModel.load(path);
  }

  PatchEmbeddingSpec spec(BackboneModel model) {
    List<String> names = layers == null || layers.isEmpty() ? BackboneModel.DEFAULT_LAYERS : layers;
    PatchEmbeddingSpec d = PatchEmbeddingSpec.defaults(model.layers(names));
    int pretrain = pretrainDim == null ? d.pretrainDim() : pretrainDim;
    int target =
        targetDim != null
            ? targetDim
            : Math.min(
                PatchEmbeddingSpec.DEFAULT_TARGET_DIM,
                new PatchEmbeddingSpec(d.layers(), 3, pretrain, 1).stackedDim());
    return new PatchEmbeddingSpec(d.layers(), 3, pretrain, target);
  }

  ExecutionProvider provider() {
    return ExecutionProvider.parse(device);
  }

  ComputePrecision precision() {
    return ComputePrecision.parse(precision);
  }

  FeatureExtractor openExtractor(BackboneModel model, PatchEmbeddingSpec spec) throws OrtException {
    return openExtractor(model, spec, precision());
  }

  FeatureExtractor openExtractor(BackboneModel model, PatchEmbeddingSpec spec, ComputePrecision at)
      throws OrtException {
    return FeatureExtractor.open(model, spec, provider(), threads, at);
  }
}
