package io.tailwatch.detector.features;

/** One feature map the backbone exposes: its graph output name and static C x H x W. */
public record FeatureLayer(String name, int channels, int height, int width) {
  public FeatureLayer {
    if (channels <= 0 || height <= 0 || width <= 0) {
      throw new IllegalArgumentException(
          "feature layer "
              + name
              + " needs a static positive shape, was "
              + channels
              + "x"
              + height
              + "x"
              + width);
    }
  }
}
