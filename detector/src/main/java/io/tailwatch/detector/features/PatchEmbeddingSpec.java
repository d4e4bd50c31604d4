package io.tailwatch.detector.features;

import java.util.List;

/**
 * PatchCore's patch embedding: per layer, 3x3 neighbourhood aggregation (zero padding, channel-major c*9+k),
 * bilinear upsampling of deeper layers to the first layer's grid, adaptive average pooling of each C*9 vector
 * to {@code pretrainDim}; layers stacked and pooled again to {@code targetDim}.
 *
 * @param layers finest first; its grid is the patch grid
 */
public record PatchEmbeddingSpec(List<FeatureLayer> layers, int patchSize, int pretrainDim, int targetDim) {
  public static final int DEFAULT_TARGET_DIM = 128;
  public static final int MAX_PRETRAIN_DIM = 1024;

  public PatchEmbeddingSpec {
    layers = List.copyOf(layers);
    if (layers.isEmpty()) {
      throw new IllegalArgumentException("at least one feature layer is needed");
    }
    if (patchSize != 3) {
      throw new IllegalArgumentException("patch size must be 3 (PatchCore's), was " + patchSize);
    }
    FeatureLayer first = layers.get(0);
    for (FeatureLayer l : layers) {
      int len = l.channels() * patchSize * patchSize;
      if (pretrainDim > len) {
        throw new IllegalArgumentException("pretrain dimension " + pretrainDim + " exceeds layer " + l.name()
            + "'s " + l.channels() + "*" + patchSize * patchSize + " = " + len
            + " values: pooling must never upsample; use at most " + len);
      }
      if (first.height() % l.height() != 0 || first.width() % l.width() != 0) {
        throw new IllegalArgumentException("layer " + l.name() + " grid " + l.height() + "x" + l.width()
            + " does not divide the patch grid " + first.height() + "x" + first.width());
      }
    }
    if (pretrainDim <= 0) {
      throw new IllegalArgumentException("pretrain dimension must be positive");
    }
    if (targetDim <= 0 || targetDim > pretrainDim * layers.size()) {
      throw new IllegalArgumentException("target dimension must be in [1, " + pretrainDim * layers.size()
          + "] (layers x pretrain dimension), was " + targetDim);
    }
  }

  /** Defaults for a backbone: pretrain = the smallest layer's C*9 (capped at 1024), target 128. */
  public static PatchEmbeddingSpec defaults(List<FeatureLayer> layers) {
    int pretrain = MAX_PRETRAIN_DIM;
    for (FeatureLayer l : layers) {
      pretrain = Math.min(pretrain, l.channels() * 9);
    }
    return new PatchEmbeddingSpec(layers, 3, pretrain, Math.min(DEFAULT_TARGET_DIM, pretrain * layers.size()));
  }

  public int gridHeight() {
    return layers.get(0).height();
  }

  public int gridWidth() {
    return layers.get(0).width();
  }

  public int positions() {
    return gridHeight() * gridWidth();
  }
}
