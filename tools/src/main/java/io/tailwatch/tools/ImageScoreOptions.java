package io.tailwatch.tools;

import io.tailwatch.detector.scoring.ImageScoring;
import picocli.CommandLine.Option;

/** How patch distances become an image score ({@link ImageScoring}), for fit and evaluate. */
final class ImageScoreOptions {
  @Option(
      names = "--image-top-k",
      defaultValue = "1",
      description =
          "Image score = the mean of the k largest patch distances (1: the largest, PatchCore's)."
              + " fit records k in the bank, so score and the job compute scores the way its"
              + " threshold was fitted. Default: ${DEFAULT-VALUE}.")
  int topK;

  /** k, checked: a bad value fails naming the option. */
  int topK() {
    return ImageScoring.requireTopK(topK, "--image-top-k");
  }
}
