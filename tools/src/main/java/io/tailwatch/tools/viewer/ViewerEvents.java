package io.tailwatch.tools.viewer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tailwatch.schemas.Alert;
import io.tailwatch.schemas.FrameScore;
import io.tailwatch.schemas.Region;
import io.tailwatch.schemas.ScoreStatistics;
import java.nio.ByteBuffer;
import java.util.Base64;

/**
 * The viewer's wire format: one JSON object per server-sent event. Alerts carry their heatmap as a
 * base64 PNG data URL so the page needs nothing but the event; scores and statistics are small.
 */
public final class ViewerEvents {
  /** Server-sent event names; the page listens for exactly these. */
  public static final String ALERT = "alert";

  public static final String SCORE = "score";
  public static final String STATISTICS = "statistics";

  private static final ObjectMapper JSON = new ObjectMapper();

  private ViewerEvents() {}

  public static String alert(Alert a) {
    ObjectNode o = JSON.createObjectNode();
    o.put("alertId", a.getAlertId().toString());
    o.put("frameId", a.getFrameId().toString());
    o.put("lineId", a.getLineId().toString());
    o.put("sourceId", a.getSourceId().toString());
    o.put("modality", a.getModality().name());
    o.put("captureTime", a.getCaptureTime().toEpochMilli());
    o.put("detectTime", a.getDetectTime().toEpochMilli());
    o.put("score", a.getScore());
    o.put("threshold", a.getThreshold());
    o.put("calibratedScore", a.getCalibratedScore());
    o.put("modelVersion", a.getModelVersion().toString());
    o.put("bankVersion", a.getBankVersion().toString());
    o.put("latencyMs", a.getLatencyMs());
    if (a.getAnomalousPixels() != null) {
      o.put("anomalousPixels", a.getAnomalousPixels());
    }
    if (a.getFrameWidth() > 0 && a.getFrameHeight() > 0) {
      o.put("frameWidth", a.getFrameWidth());
      o.put("frameHeight", a.getFrameHeight());
    }
    ByteBuffer png = a.getHeatmapPng();
    if (png != null) {
      ByteBuffer copy = png.duplicate();
      byte[] bytes = new byte[copy.remaining()];
      copy.get(bytes);
      o.put("heatmap", "data:image/png;base64," + Base64.getEncoder().encodeToString(bytes));
      o.put("heatmapFormat", a.getHeatmapFormat().toString());
      if (a.getHeatmapLow() != null && a.getHeatmapHigh() != null) {
        o.put("heatmapLow", a.getHeatmapLow());
        o.put("heatmapHigh", a.getHeatmapHigh());
      }
    }
    ArrayNode regions = o.putArray("regions");
    for (Region r : a.getRegions()) {
      regions
          .addObject()
          .put("x", r.getX())
          .put("y", r.getY())
          .put("width", r.getWidth())
          .put("height", r.getHeight())
          .put("area", r.getArea())
          .put("maxScore", r.getMaxScore());
    }
    return o.toString();
  }

  public static String score(FrameScore s) {
    ObjectNode o = JSON.createObjectNode();
    o.put("frameId", s.getFrameId().toString());
    o.put("lineId", s.getLineId().toString());
    o.put("sourceId", s.getSourceId().toString());
    o.put("modality", s.getModality().name());
    o.put("score", s.getScore());
    o.put("threshold", s.getThreshold());
    o.put("anomalous", s.getAnomalous());
    o.put("bankVersion", s.getBankVersion().toString());
    o.put("latencyMs", s.getLatencyMs());
    return o.toString();
  }

  public static String statistics(ScoreStatistics s) {
    ObjectNode o = JSON.createObjectNode();
    o.put("lineId", s.getLineId().toString());
    o.put("modality", s.getModality().name());
    if (s.getSourceId() != null) {
      o.put("sourceId", s.getSourceId().toString());
    }
    o.put("snapshotTime", s.getSnapshotTime().toEpochMilli());
    o.put("count", s.getCount());
    o.put("median", s.getMedian());
    o.put("p90", s.getP90());
    o.put("p99", s.getP99());
    o.put("skewness", s.getSkewness());
    o.put("threshold", s.getThreshold());
    o.put("alertRate", s.getAlertRate());
    o.put("bankVersion", s.getBankVersion().toString());
    o.put("driftActive", s.getDriftActive());
    o.put("driftShare", s.getDriftShare());
    o.put("driftWindow", s.getDriftWindow());
    o.put("driftSince", s.getDriftSince());
    if (s.getDriftMedianScore() != null) {
      o.put("driftMedianScore", s.getDriftMedianScore());
    }
    return o.toString();
  }
}
