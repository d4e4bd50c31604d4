package io.tailwatch.flink.inference;

import io.tailwatch.detector.image.FloatImage;
import io.tailwatch.detector.scoring.Detection;
import java.util.List;

/** What the inference operator needs of a detector; one instance per task slot, not thread safe. */
public interface FrameDetector extends AutoCloseable {
  /** One detection per image, in order. Throws if the batch as a whole cannot be run. */
  List<Detection> detect(List<FloatImage> images) throws Exception;

  double threshold();

  /**
   * Score mapped to [0, 1] (fraction of normal scores below it); NaN if the bank carries no
   * calibration.
   */
  double calibrated(double score);

  String executionProvider();

  /** True when CUDA was wanted (device auto) but the session runs on CPU; exposed as a metric. */
  default boolean fellBackToCpu() {
    return false;
  }

  String modelVersion();

  String bankVersion();

  /**
   * Replaces the bank between batches: loads {@code bank}, checks its body checksum (and that it
   * equals {@code expectedSha256} when given) and that it fits the backbone, and only then retires
   * the old one. On any failure the old bank stays in use and the exception says why.
   */
  default void swapBank(java.nio.file.Path bank, String expectedSha256) throws Exception {
    throw new UnsupportedOperationException("this detector cannot swap banks");
  }

  @Override
  void close() throws Exception;
}
