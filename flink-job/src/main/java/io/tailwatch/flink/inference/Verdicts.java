package io.tailwatch.flink.inference;

import io.tailwatch.detector.image.FloatImage;
import io.tailwatch.detector.scoring.Detection;
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

  private Verdicts() {}

  /**
   * @param threshold the threshold in force for the frame's scope (fixed, calibrated or online)
   */
  public static FrameScore score(
      CameraFrame frame, Detection d, FrameDetector detector, double threshold, long detectTime) {
    return FrameScore.newBuilder()
        .setFrameId(frame.getFrameId())
        .setLineId(frame.getLineId())
        .setSourceId(frame.getSourceId())
        .setModality(Modality.CAMERA)
        .setProductHint(frame.getProductHint())
        .setCaptureTime(frame.getCaptureTime())
        .setDetectTime(Instant.ofEpochMilli(detectTime))
        .setScore(d.score())
        .setThreshold(threshold)
        .setAnomalous(d.score() > threshold)
        .setBankVersion(detector.bankVersion())
        .setLatencyMs(Math.max(0, detectTime - frame.getCaptureTime().toEpochMilli()))
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
    int longer = Math.max(image.width(), image.height());
    if (longer <= maxSide) {
      return image;
    }
    double f = maxSide / (double) longer;
    return io.tailwatch.detector.image.Resampler.resize(
        image,
        Math.max(1, (int) Math.round(image.width() * f)),
        Math.max(1, (int) Math.round(image.height() * f)));
  }

  public static Alert alert(
      CameraFrame frame,
      FloatImage image,
      Detection d,
      FrameDetector detector,
      double threshold,
      double calibrated,
      long detectTime,
      int heatmapMaxSide,
      HeatmapFormat heatmapFormat) {
    double pixelThreshold = d.mapLevel(threshold);
    double sx = (double) image.width() / d.mapSize();
    double sy = (double) image.height() / d.mapSize();
    List<Region> regions = new ArrayList<>();
    long pixels = 0;
    List<RegionBox> found = Regions.find(d.map(), d.mapSize(), d.mapSize(), pixelThreshold);
    for (RegionBox r : found) {
      pixels += Regions.scale(r, sx, sy).area();
    }
    for (RegionBox r : Regions.strongest(found, MAX_ALERT_REGIONS)) {
      RegionBox s = Regions.scale(r, sx, sy);
      regions.add(new Region(s.x(), s.y(), s.width(), s.height(), s.area(), s.maxScore()));
    }
    double low = pixelThreshold * 0.5;
    double high = pixelThreshold * 1.5;
    ByteBuffer png =
        heatmapMaxSide > 0
            ? ByteBuffer.wrap(
                heatmapFormat.render(
                    fitWithin(image, heatmapMaxSide), d.map(), d.mapSize(), low, high))
            : null;
    return Alert.newBuilder()
        .setAlertId(frame.getLineId() + "/" + frame.getFrameId() + "/" + detector.bankVersion())
        .setFrameId(frame.getFrameId())
        .setLineId(frame.getLineId())
        .setSourceId(frame.getSourceId())
        .setModality(Modality.CAMERA)
        .setCaptureTime(frame.getCaptureTime())
        .setDetectTime(Instant.ofEpochMilli(detectTime))
        .setScore(d.score())
        .setThreshold(threshold)
        .setCalibratedScore(calibrated)
        .setModelVersion(detector.modelVersion())
        .setBankVersion(detector.bankVersion())
        .setHeatmapPng(png)
        .setHeatmapFormat(heatmapFormat.wireName())
        .setFrameWidth(image.width())
        .setFrameHeight(image.height())
        .setHeatmapLow(png == null ? null : low)
        .setHeatmapHigh(png == null ? null : high)
        .setRegions(regions)
        .setAnomalousPixels(pixels)
        .setLatencyMs(Math.max(0, detectTime - frame.getCaptureTime().toEpochMilli()))
        .build();
  }
}
