package io.tailwatch.detector.hyperspectral;

/**
 * A cube with its ground truth: {@code anomalous[line * samples + sample]} is true where the
 * scene's map marks an anomaly (null when the file carries no map).
 */
public record HyperspectralScene(String name, SpectralCube cube, boolean[] anomalous) {
  public HyperspectralScene {
    if (anomalous != null && anomalous.length != cube.pixels()) {
      throw new IllegalArgumentException(
          "map of " + anomalous.length + " pixels for a cube of " + cube.pixels());
    }
  }

  public int anomalousPixels() {
    int n = 0;
    if (anomalous != null) {
      for (boolean a : anomalous) {
        n += a ? 1 : 0;
      }
    }
    return n;
  }
}
