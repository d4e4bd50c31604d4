package io.tailwatch.flink.inference;

import io.tailwatch.detector.image.FloatImage;
import io.tailwatch.detector.scoring.Heatmaps;

/**
 * How an alert's heatmap PNG is drawn ({@code alerts.heatmap.format}); the alert names it in {@code
 * heatmapFormat}.
 */
public enum HeatmapFormat {
  /**
   * The anomaly map alone, 8-bit gray: level v is the map value heatmapLow + v/255 * (heatmapHigh -
   * heatmapLow). Small (a 256-pixel map is a few KiB) and machine-readable; viewers colour it.
   */
  MAP(1),
  /** The map in jet colours blended over the frame, 24-bit RGB: ready to show, about 10x larger. */
  OVERLAY(3);

  private final int channels;

  HeatmapFormat(int channels) {
    this.channels = channels;
  }

  /** Bytes per pixel of the PNG before compression. */
  public int channels() {
    return channels;
  }

  /** The name alerts carry. */
  public String wireName() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }

  /**
   * The PNG of a square map ({@code mapSize}^2) at the size of {@code shown} (the frame scaled to
   * the heatmap's max side), values from {@code low} to {@code high}.
   */
  public byte[] render(FloatImage shown, float[] map, int mapSize, double low, double high) {
    return Heatmaps.png(
        this == MAP
            ? Heatmaps.gray(map, mapSize, mapSize, shown.width(), shown.height(), low, high)
            : Heatmaps.overlay(shown, map, mapSize, low, high));
  }

  /** The PNG of a rectangular map with no frame to show it over (cubes); MAP or jet colours. */
  public byte[] render(FloatImage map, double low, double high) {
    return Heatmaps.png(
        this == MAP
            ? Heatmaps.gray(
                map.data(), map.width(), map.height(), map.width(), map.height(), low, high)
            : Heatmaps.colour(map.data(), map.width(), map.height(), low, high));
  }
}
