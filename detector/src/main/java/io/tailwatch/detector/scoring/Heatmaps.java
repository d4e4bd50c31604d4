package io.tailwatch.detector.scoring;

import io.tailwatch.detector.image.FloatImage;
import io.tailwatch.detector.image.Resampler;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import javax.imageio.ImageIO;

/** Renders anomaly maps as false-colour PNGs, alone or blended over the frame. */
public final class Heatmaps {
  private Heatmaps() {}

  /**
   * Jet colour map of {@code map} (size {@code mapSize}^2) over the gray frame, at the frame's size
   * (or the map's if the frame is null). Values are scaled from {@code low} (transparent) to {@code
   * high} (opaque red).
   */
  public static BufferedImage overlay(
      FloatImage frame, float[] map, int mapSize, double low, double high) {
    int w = frame == null ? mapSize : frame.width();
    int h = frame == null ? mapSize : frame.height();
    float[] scaled = map;
    if (w != mapSize || h != mapSize) {
      scaled = Resampler.resize(new FloatImage(mapSize, mapSize, 1, map), w, h).data();
    }
    float[] gray = frame == null ? null : frame.gray();
    BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    double span = Math.max(1e-12, high - low);
    for (int i = 0; i < w * h; i++) {
      double t = Math.min(1, Math.max(0, (scaled[i] - low) / span));
      int rgb = jet(t);
      double alpha = gray == null ? 1 : 0.15 + 0.6 * t;
      double g = gray == null ? 0 : gray[i] * 255;
      int r = (int) Math.round((1 - alpha) * g + alpha * ((rgb >> 16) & 0xFF));
      int gr = (int) Math.round((1 - alpha) * g + alpha * ((rgb >> 8) & 0xFF));
      int b = (int) Math.round((1 - alpha) * g + alpha * (rgb & 0xFF));
      out.setRGB(i % w, i / w, (r << 16) | (gr << 8) | b);
    }
    return out;
  }

  /**
   * Overlay scaled to the map's own min..max: shows where the map peaks, not how anomalous the
   * frame is.
   */
  public static BufferedImage overlayOwnRange(FloatImage frame, float[] map, int mapSize) {
    double low = Double.POSITIVE_INFINITY;
    double high = Double.NEGATIVE_INFINITY;
    for (float v : map) {
      low = Math.min(low, v);
      high = Math.max(high, v);
    }
    return overlay(frame, map, mapSize, low, high);
  }

  public static byte[] png(BufferedImage image) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try {
      ImageIO.write(image, "png", bytes);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  /**
   * A rectangular map ({@code width * height}, row-major) in jet colours, scaled from {@code low}
   * (blue) to {@code high} (red); used for hyperspectral detection maps.
   */
  public static BufferedImage colour(float[] map, int width, int height, double low, double high) {
    BufferedImage out = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    double span = Math.max(1e-12, high - low);
    for (int i = 0; i < width * height; i++) {
      out.setRGB(i % width, i / width, jet(Math.min(1, Math.max(0, (map[i] - low) / span))));
    }
    return out;
  }

  /**
   * The map itself as 8-bit gray levels at {@code width x height} (resampled from {@code mapWidth x
   * mapHeight}): level {@code v} stands for the map value {@code low + v / 255 * (high - low)},
   * values outside clipped. A tenth of an RGB overlay's bytes, and a consumer can read the values
   * back; viewers colour it themselves.
   */
  public static BufferedImage gray(
      float[] map, int mapWidth, int mapHeight, int width, int height, double low, double high) {
    return levels(
        map, mapWidth, mapHeight, width, height, low, high, BufferedImage.TYPE_BYTE_GRAY, 255);
  }

  /**
   * The map as 16-bit gray levels at {@code width x height}: level {@code v} stands for {@code low
   * + v / 65535 * (high - low)}. For the full-resolution map an alert can point to.
   */
  public static BufferedImage gray16(
      float[] map, int mapWidth, int mapHeight, int width, int height, double low, double high) {
    return levels(
        map, mapWidth, mapHeight, width, height, low, high, BufferedImage.TYPE_USHORT_GRAY, 65535);
  }

  /** The map resampled to {@code width x height}, as gray levels 0..maxLevel of a 1-band image. */
  private static BufferedImage levels(
      float[] map,
      int mapWidth,
      int mapHeight,
      int width,
      int height,
      double low,
      double high,
      int imageType,
      int maxLevel) {
    float[] scaled = map;
    if (width != mapWidth || height != mapHeight) {
      scaled = Resampler.resize(new FloatImage(mapWidth, mapHeight, 1, map), width, height).data();
    }
    BufferedImage out = new BufferedImage(width, height, imageType);
    java.awt.image.WritableRaster raster = out.getRaster();
    double span = Math.max(1e-12, high - low);
    int[] row = new int[width];
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        row[x] = (int) Math.round(maxLevel * clamp((scaled[y * width + x] - low) / span));
      }
      raster.setSamples(0, y, width, 1, 0, row);
    }
    return out;
  }

  /** Classic jet: blue, cyan, yellow, red. */
  static int jet(double t) {
    double r = clamp(1.5 - Math.abs(4 * t - 3));
    double g = clamp(1.5 - Math.abs(4 * t - 2));
    double b = clamp(1.5 - Math.abs(4 * t - 1));
    return ((int) (r * 255) << 16) | ((int) (g * 255) << 8) | (int) (b * 255);
  }

  private static double clamp(double v) {
    return Math.max(0, Math.min(1, v));
  }
}
