package io.tailwatch.detector.features;

import java.util.List;

/**
 * PatchCore's patch embedding: per layer, 3x3 neighbourhood aggregation (zero padding,
 * channel-major c*9+k), bilinear upsampling of deeper layers to the first layer's grid, adaptive
 * average pooling of each C*9 vector to {@code pretrainDim}; layers stacked and pooled again to
 * {@code targetDim}.
 *
 * <p>{@code pretrainDim = }{@link #PER_CHANNEL} pools each layer's C*9 vector to its own C values
 * instead: the mean of each channel's 3x3 neighbourhood (what anomalib's PatchCore does with a 3x3
 * average pool), so the layers keep their channel counts (MobileNetV2 feat_s8 + feat_s16: 32 + 96 =
 * 128).
 *
 * @param layers finest first; its grid is the patch grid
 */
public record PatchEmbeddingSpec(
    List<FeatureLayer> layers, int patchSize, int pretrainDim, int targetDim) {
  public static final int DEFAULT_TARGET_DIM = 128;
  public static final int MAX_PRETRAIN_DIM = 1024;

  /** pretrainDim value meaning: pool each layer to its channel count (3x3 mean per channel). */
  public static final int PER_CHANNEL = 0;

  public PatchEmbeddingSpec {
    layers = List.copyOf(layers);
    if (layers.isEmpty()) {
      throw new IllegalArgumentException("at least one feature layer is needed");
    }
    if (patchSize != 3) {
      throw new IllegalArgumentException("patch size must be 3 (PatchCore's), was " + patchSize);
    }
    FeatureLayer first = layers.get(0);
    if (pretrainDim < 0) {
      throw new IllegalArgumentException(
          "pretrain dimension must be positive, or 0 for per-channel pooling, was " + pretrainDim);
    }
    for (FeatureLayer l : layers) {
      int len = l.channels() * patchSize * patchSize;
      if (pretrainDim > len) {
        throw new IllegalArgumentException(
            "pretrain dimension "
                + pretrainDim
                + " exceeds layer "
                + l.name()
                + "'s "
                + l.channels()
                + "*"
                + patchSize * patchSize
                + " = "
                + len
                + " values: pooling must never upsample; use at most "
                + len);
      }
      if (first.height() % l.height() != 0 || first.width() % l.width() != 0) {
        throw new IllegalArgumentException(
            "layer "
                + l.name()
                + " grid "
                + l.height()
                + "x"
                + l.width()
                + " does not divide the patch grid "
                + first.height()
                + "x"
                + first.width());
      }
    }
    int stacked = 0;
    for (FeatureLayer l : layers) {
      stacked += pretrainDim == PER_CHANNEL ? l.channels() : pretrainDim;
    }
    if (targetDim <= 0 || targetDim > stacked) {
      throw new IllegalArgumentException(
          "target dimension must be in [1, "
              + stacked
              + "] (the stacked pooled layers), was "
              + targetDim);
    }
  }

  /** What layer {@code l} is pooled to before stacking. */
  public int pooledDim(FeatureLayer l) {
    return pretrainDim == PER_CHANNEL ? l.channels() : pretrainDim;
  }

  /** Sum of the pooled layer dimensions (the input of the final pooling to targetDim). */
  public int stackedDim() {
    int sum = 0;
    for (FeatureLayer l : layers) {
      sum += pooledDim(l);
    }
    return sum;
  }

  /**
   * Defaults for a backbone: each layer pooled per channel (the 3x3 mean of every channel, as
   * anomalib's PatchCore does), stacked, and pooled to at most 128. For MobileNetV2 feat_s8 +
   * feat_s16 that is 32 + 96 = 128 values with no final pooling; measured on Magnetic Tile it beats
   * pooling every layer to 288 (docs/detection.md).
   */
  public static PatchEmbeddingSpec defaults(List<FeatureLayer> layers) {
    int stacked = 0;
    for (FeatureLayer l : layers) {
      stacked += l.channels();
    }
    return new PatchEmbeddingSpec(layers, 3, PER_CHANNEL, Math.min(DEFAULT_TARGET_DIM, stacked));
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
