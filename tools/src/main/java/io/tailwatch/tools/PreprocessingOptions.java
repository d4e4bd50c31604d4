package io.tailwatch.tools;

import io.tailwatch.detector.image.Preprocessing;
import picocli.CommandLine.Option;

/** Network input geometry options. */
final class PreprocessingOptions {
  @Option(
      names = "--resize",
      defaultValue = "224",
      description =
          "Resize to this square size (no crop), or the shorter side to it with --crop. Default: ${DEFAULT-VALUE}.")
  int resize;

  @Option(
      names = "--crop",
      defaultValue = "0",
      description =
          "Centre-crop size after resizing (0 = no crop; ImageNet recipe: --resize 256 --crop 224).")
  int crop;

  Preprocessing toPreprocessing() {
    return new Preprocessing(resize, crop, Preprocessing.IMAGENET_MEAN, Preprocessing.IMAGENET_STD);
  }
}
