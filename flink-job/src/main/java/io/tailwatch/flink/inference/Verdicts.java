package io.tailwatch.flink.inference;

import io.tailwatch.detector.image.FloatImage;
import io.tailwatch.detector.scoring.RegionBox;
import io.tailwatch.detector.scoring.Regions;
import io.tailwatch.schemas.Alert;
import io.tailwatch.schemas.CameraFrame;
import io.tailwatch.schemas.FrameScore;
import io.tailwatch.schemas.Modality;
import io.tailwatch.schemas.Region;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns a detection into the records that leave the job: a FrameScore always, an Alert above the
 * threshold.
 */
public final class Verdicts {
  /**
   * Regions an alert lists at most, strongest first (the anomalous pixel count covers them all):
   * about 40 bytes each, so an alert stays small whatever the map.
   */
  public static final int MAX_ALERT_REGIONS = 256;

  /** Longer side of alert heatmaps unless configured (alerts.heatmap.max-side's default). */
  public static final int DEFAULT_HEATMAP_MAX_SIDE = 256;

  /** alerts.heatmap.max-side, checked where a stage is built: at least 16 pixels. */
  public static int checkHeatmapMaxSide(int maxSide) {
    if (maxSide < 16) {
      throw new IllegalArgumentException(
          "alerts.heatmap.max-side must be at least 16, was " + maxSide);
    }
    return maxSide;
  }

  private Verdicts() {}

  /**
   * @param threshold the threshold in force for the frame's scope (fixed, calibrated or online)
   * @param decideTime when the decision stage judged it (ms): the end of the frame's latency
   */
  public static FrameScore score(ScoredFrame s, double threshold, long decideTime) {
    CameraFrame frame = s.frame;
    return FrameScore.newBuilder()
        .setFrameId(frame.getFrameId())
        .setLineId(frame.getLineId())
        .setSourceId(frame.getSourceId())
        .setModality(Modality.CAMERA)
        .setProductHint(frame.getProductHint())
        .setCaptureTime(frame.getCaptureTime())
        .setDetectTime(Instant.ofEpochMilli(decideTime))
        .setScore(s.score)
        .setThreshold(threshold)
        .setAnomalous(s.score > threshold)
        .setBankVersion(s.bankVersion)
        .setLatencyMs(Math.max(0, decideTime - frame.getCaptureTime().toEpochMilli()))
        .setAttributes(frame.getAttributes())
        .build();
  }

  /**
   * The alert for an anomalous frame. The smoothed anomaly map peaks below the image score (the max
   * of the raw patch scores), so the map is compared with the threshold after rescaling its peak to
   * the image score: regions are the connected components above that level, in original frame
   * pixels (an alert always has at least one), and the heatmap overlay spans half to one and a half
   * times it.
   */
  /**
   * The frame scaled down to at most {@code maxSide} pixels on its longer side (aspect kept), or
   * itself when it is that small: the heatmap of a 12-megapixel frame must not make an alert larger
   * than a Kafka record may be.
   */
  public static FloatImage fitWithin(FloatImage image, int maxSide) {
    int[] size = fittedSize(image.width(), image.height(), maxSide);
    return size[0] == image.width() && size[1] == image.height()
        ? image
        : io.tailwatch.detector.image.Resampler.resize(image, size[0], size[1]);
  }

  /**
   * @param shown the frame scaled to the heatmap's max side, for the overlay format; null for the
   *     map format, which needs only the frame's size
   */
  public static Alert alert(
      ScoredFrame s, FloatImage shown, int heatmapMaxSide, HeatmapFormat heatmapFormat) {
    CameraFrame frame = s.frame;
    double threshold = s.threshold;
    double pixelThreshold = s.mapLevel(threshold);
    double sx = (double) s.frameWidth / s.mapSize;
    double sy = (double) s.frameHeight / s.mapSize;
    List<Region> regions = new ArrayList<>();
    long pixels = 0;
    List<RegionBox> found = Regions.find(s.map, s.mapSize, s.mapSize, pixelThreshold);
    for (RegionBox r : found) {
      pixels += Regions.scale(r, sx, sy).area();
    }
    for (RegionBox r : Regions.strongest(found, MAX_ALERT_REGIONS)) {
      RegionBox b = Regions.scale(r, sx, sy);
      regions.add(new Region(b.x(), b.y(), b.width(), b.height(), b.area(), b.maxScore()));
    }
    double low = pixelThreshold * 0.5;
    double high = pixelThreshold * 1.5;
    ByteBuffer png = null;
    if (heatmapMaxSide > 0) {
      int[] size = fittedSize(s.frameWidth, s.frameHeight, heatmapMaxSide);
      png =
          ByteBuffer.wrap(
              heatmapFormat == HeatmapFormat.MAP || shown == null
                  ? io.tailwatch.detector.scoring.Heatmaps.png(
                      io.tailwatch.detector.scoring.Heatmaps.gray(
                          s.map, s.mapSize, s.mapSize, size[0], size[1], low, high))
                  : heatmapFormat.render(shown, s.map, s.mapSize, low, high));
    }
    long detectTime = s.decidedAt;
    return Alert.newBuilder()
        .setAlertId(frame.getLineId() + "/" + frame.getFrameId() + "/" + s.bankVersion)
        .setFrameId(frame.getFrameId())
        .setLineId(frame.getLineId())
        .setSourceId(frame.getSourceId())
        .setModality(Modality.CAMERA)
        .setCaptureTime(frame.getCaptureTime())
        .setDetectTime(Instant.ofEpochMilli(detectTime))
        .setScore(s.score)
        .setThreshold(threshold)
        .setCalibratedScore(s.calibrated)
        .setModelVersion(s.modelVersion)
        .setBankVersion(s.bankVersion)
        .setHeatmapPng(png)
        .setHeatmapFormat(
            (png == null || shown != null ? heatmapFormat : HeatmapFormat.MAP).wireName())
        .setFrameWidth(s.frameWidth)
        .setFrameHeight(s.frameHeight)
        .setHeatmapLow(png == null ? null : low)
        .setHeatmapHigh(png == null ? null : high)
        .setRegions(regions)
        .setAnomalousPixels(pixels)
        .setLatencyMs(Math.max(0, detectTime - frame.getCaptureTime().toEpochMilli()))
        .build();
  }

  /** {@link #fitWithin}'s size for a frame of {@code width x height}: {width, height}. */
  static int[] fittedSize(int width, int height, int maxSide) {
    int longer = Math.max(width, height);
    if (longer <= maxSide) {
      return new int[] {width, height};
    }
    double f = maxSide / (double) longer;
    return new int[] {
      Math.max(1, (int) Math.round(width * f)), Math.max(1, (int) Math.round(height * f))
    };
  }
}
