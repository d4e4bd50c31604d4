package io.tailwatch.detector.data;

import java.nio.file.Path;

/**
 * A test or training image with its ground truth.
 *
 * @param type "good" or the defect type
 * @param mask pixel mask file (value > 127 = defect), or null when the image has none (all normal)
 */
public record LabeledImage(Path image, Path mask, String type, boolean anomalous) {
  public static final String GOOD = "good";
}
