package io.tailwatch.detector.features;

/**
 * Patch vectors of a batch: {@code patches[(image * positions + p) * dim + d]}, and (optional)
 * global embeddings {@code global[image * globalDim + d]}.
 */
public record PatchFeatures(
    int images,
    int gridHeight,
    int gridWidth,
    int dim,
    float[] patches,
    int globalDim,
    float[] global) {
  public int positions() {
    return gridHeight * gridWidth;
  }

  /** Offset of an image's first patch vector in {@link #patches()}. */
  public int offset(int image) {
    return image * positions() * dim;
  }
}
