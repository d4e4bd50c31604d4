package io.tailwatch.detector.image;

import java.util.Arrays;

/**
 * How a frame becomes the network input. {@code crop == 0}: resize the whole frame to resize x
 * resize (aspect not kept; nothing cut off, so defects at the borders stay visible). {@code crop >
 * 0}: the ImageNet recipe, shorter side to {@code resize}, then a centred crop x crop window.
 */
public record Preprocessing(int resize, int crop, float[] mean, float[] std) {
  public static final float[] IMAGENET_MEAN = {0.485f, 0.456f, 0.406f};
  public static final float[] IMAGENET_STD = {0.229f, 0.224f, 0.225f};

  /** Default: 224 x 224, no crop (suits the 120-600 px, any-aspect frames of industrial lines). */
  public static final Preprocessing DEFAULT =
      new Preprocessing(224, 0, IMAGENET_MEAN, IMAGENET_STD);

  /** PatchCore's recipe for square photos: resize 256, centre-crop 224. */
  public static final Preprocessing IMAGENET_CROP =
      new Preprocessing(256, 224, IMAGENET_MEAN, IMAGENET_STD);

  public Preprocessing {
    if (resize <= 0) {
      throw new IllegalArgumentException("preprocessing.resize must be positive, was " + resize);
    }
    if (crop < 0 || crop > resize) {
      throw new IllegalArgumentException(
          "preprocessing.crop must be in [0, resize=" + resize + "], was " + crop);
    }
    if (mean.length != 3 || std.length != 3) {
      throw new IllegalArgumentException("preprocessing.mean and .std need 3 values");
    }
    for (float s : std) {
      if (!(s > 0)) {
        throw new IllegalArgumentException("preprocessing.std values must be positive");
      }
    }
    mean = mean.clone();
    std = std.clone();
  }

  /** Side of the square network input. */
  public int inputSize() {
    return crop > 0 ? crop : resize;
  }

  /**
   * Resized (and cropped) image, still in [0,1], 1 or 3 channels: the geometry the anomaly map
   * lives in.
   */
  public FloatImage geometry(FloatImage image) {
    if (crop == 0) {
      return Resampler.resize(image, resize, resize);
    }
    int w;
    int h;
    if (image.width() <= image.height()) {
      w = resize;
      h = (int) Math.round((double) image.height() * resize / image.width());
    } else {
      h = resize;
      w = (int) Math.round((double) image.width() * resize / image.height());
    }
    return Resampler.centerCrop(Resampler.resize(image, w, h), crop, crop);
  }

  /**
   * Writes the normalised 3 x S x S tensor of an image already brought to the input geometry (see
   * {@link #geometry}) into {@code out} at {@code offset}. Gray images are replicated to 3
   * channels.
   */
  public void normalizeInto(FloatImage g, float[] out, int offset) {
    int s = inputSize();
    if (g.width() != s || g.height() != s) {
      throw new IllegalArgumentException(
          "image is "
              + g.width()
              + "x"
              + g.height()
              + ", expected the "
              + s
              + "x"
              + s
              + " input geometry");
    }
    int n = s * s;
    for (int c = 0; c < 3; c++) {
      int srcChannel = g.channels() == 1 ? 0 : c;
      float m = mean[c];
      float inv = 1f / std[c];
      int src = srcChannel * n;
      int dst = offset + c * n;
      float[] data = g.data();
      for (int i = 0; i < n; i++) {
        out[dst + i] = (data[src + i] - m) * inv;
      }
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Preprocessing p
        && p.resize == resize
        && p.crop == crop
        && Arrays.equals(p.mean, mean)
        && Arrays.equals(p.std, std);
  }

  @Override
  public int hashCode() {
    return 31 * (31 * resize + crop) + Arrays.hashCode(mean) * 7 + Arrays.hashCode(std);
  }

  @Override
  public String toString() {
    return crop == 0
        ? "resize " + resize + "x" + resize + ", no crop"
        : "resize " + resize + ", centre-crop " + crop;
  }
}
