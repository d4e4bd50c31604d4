package io.tailwatch.detector.scoring;

/**
 * Post-processing options of the detector.
 *
 * @param reweight PatchCore's neighbourhood reweighting of the image score
 * @param reweightNeighbours b in the reweighting
 * @param mapSigma Gaussian sigma of the anomaly map, in input pixels
 */
public record DetectorOptions(boolean reweight, int reweightNeighbours, double mapSigma) {
  public static final DetectorOptions DEFAULT =
      new DetectorOptions(false, Reweighting.DEFAULT_NEIGHBOURS, AnomalyMaps.DEFAULT_SIGMA);

  public DetectorOptions {
    if (reweightNeighbours < 1) {
      throw new IllegalArgumentException(
          "reweight neighbours must be >= 1, was " + reweightNeighbours);
    }
    if (mapSigma < 0) {
      throw new IllegalArgumentException("map sigma must be >= 0, was " + mapSigma);
    }
  }
}
