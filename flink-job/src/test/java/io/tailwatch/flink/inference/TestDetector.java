package io.tailwatch.flink.inference;

/**
 * A scripted detector's fixed parts: threshold, identity calibration, CPU, versions; subclasses
 * score.
 */
abstract class TestDetector implements FrameDetector {
  private final double threshold;
  private final String modelVersion;
  protected String bankVersion;

  TestDetector(double threshold, String modelVersion, String bankVersion) {
    this.threshold = threshold;
    this.modelVersion = modelVersion;
    this.bankVersion = bankVersion;
  }

  @Override
  public double threshold() {
    return threshold;
  }

  @Override
  public double calibrated(double score) {
    return score;
  }

  @Override
  public String executionProvider() {
    return "CPU";
  }

  @Override
  public String modelVersion() {
    return modelVersion;
  }

  @Override
  public String bankVersion() {
    return bankVersion;
  }

  @Override
  public void close() {}
}
