package io.tailwatch.tools;

import io.tailwatch.detector.features.BackboneModel;
import io.tailwatch.detector.features.ModelStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code models pull}: fetch the zoo's MobileNetV2 int8 and derive the feature backbone from it.
 */
@Command(
    name = "models",
    mixinStandardHelpOptions = true,
    description = "Manage backbone models.",
    subcommands = ModelsCommand.Pull.class)
final class ModelsCommand implements Runnable {
  @Override
  public void run() {
    new picocli.CommandLine(this).usage(System.out);
  }

  @Command(
      name = "pull",
      mixinStandardHelpOptions = true,
      description =
          "Download the ONNX Model Zoo's mobilenetv2-12-int8.onnx (or use --from FILE), check its graph, "
              + "and derive mobilenetv2-12-int8-features.onnx (feature outputs feat_s4/s8/s16/s32).")
  static final class Pull implements Callable<Integer> {
    @Option(
        names = "--model-dir",
        description = "Where to put it (default: $TAILWATCH_MODEL_DIR, else ~/.tailwatch/models).")
    Path modelDir;

    @Option(
        names = "--from",
        description = "A local copy of mobilenetv2-12-int8.onnx instead of downloading.")
    Path from;

    @Option(names = "--force", description = "Derive again even if the features model is there.")
    boolean force;

    @Option(
        names = "--accept-unverified",
        description =
            "Use a file whose graph and weights are not those of the zoo model this project was"
                + " tested with (its input and tapped layers are still checked).")
    boolean acceptUnverified;

    @Override
    public Integer call() throws Exception {
      Path dir = ModelStore.modelDir(modelDir);
      Files.createDirectories(dir);
      Path features = dir.resolve(io.tailwatch.detector.util.SharedDirs.DEFAULT_BACKBONE_FILE);
      if (force) {
        Files.deleteIfExists(features);
      }
      if (from != null) {
        if (!Files.isRegularFile(from)) {
          throw new java.io.FileNotFoundException("--from " + from + ": no such file");
        }
        ModelStore.derive(from, features, acceptUnverified);
      } else {
        try (ProgressBar bar = new ProgressBar("download")) {
          ModelStore.ensureBackbone(dir, ModelStore.ZOO_SOURCES, bar);
        }
      }
      BackboneModel model = BackboneModel.load(features);
      System.out.println(
          "backbone ready: "
              + features
              + " ("
              + model.id()
              + ", outputs "
              + List.of("feat_s4", "feat_s8", "feat_s16", "feat_s32")
              + ")");
      return 0;
    }
  }
}
