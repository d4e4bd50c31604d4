package io.tailwatch.tools;

import io.tailwatch.detector.scoring.CalibrationGroups;
import java.util.regex.Pattern;
import picocli.CommandLine.Option;

/**
 * Cross-fitting by source ({@link CalibrationGroups}), shared by {@code fit} and {@code evaluate}.
 */
final class CalibrationGroupOptions {
  @Option(
      names = "--calibration-groups",
      paramLabel = "REGEX",
      description =
          "With --calibration-folds: images whose file names give the same match of REGEX (its"
              + " first group, else the whole match) stay in one fold, so an image is never scored"
              + " against its siblings (tiles of one strip, photos of one part); a name that does"
              + " not match is its own source. E.g. '^(.+)_x[0-9]+\\.' for tiles named"
              + " <strip>_x<offset>.jpg. Default: none.")
  String regex;

  /**
   * The compiled pattern, or null when not given; only with --calibration-folds (a hold-out is
   * drawn image by image), and a bad pattern fails naming the option.
   */
  Pattern pattern(int folds) {
    if (regex == null || regex.isEmpty()) {
      return null;
    }
    if (folds == 0) {
      throw new IllegalArgumentException(
          "--calibration-groups needs --calibration-folds (it keeps a source's images in one fold)");
    }
    return CalibrationGroups.compile(regex, "--calibration-groups");
  }
}
