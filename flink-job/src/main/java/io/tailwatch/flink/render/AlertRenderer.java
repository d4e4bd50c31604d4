package io.tailwatch.flink.render;

import io.tailwatch.detector.image.FloatImage;
import io.tailwatch.flink.inference.HeatmapFormat;
import io.tailwatch.flink.inference.ScoredFrame;
import io.tailwatch.flink.inference.Verdicts;
import io.tailwatch.flink.ingest.FrameLimits;
import io.tailwatch.flink.ingest.FramePayloads;
import io.tailwatch.schemas.Alert;
import java.io.IOException;
import java.util.Objects;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.metrics.Counter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The rendering stage: turns a frame the decision stage alerted on into its {@link Alert}: regions
 * in frame pixels, the heatmap PNG ({@code alerts.heatmap.format}; the overlay decodes the frame it
 * is drawn over) and, with {@code alerts.heatmap.full-resolution}, the map at the frame's size
 * written beside the claim checks. PNG encoding is the costly part of an alert, so it runs here,
 * off the decision operator (and off the inference stage, which would pay it for every frame).
 */
public final class AlertRenderer extends RichMapFunction<ScoredFrame, Alert> {
  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(AlertRenderer.class);

  private final boolean heatmaps;
  private final FrameLimits limits;
  private int heatmapMaxSide = Verdicts.DEFAULT_HEATMAP_MAX_SIDE;
  private HeatmapFormat heatmapFormat = HeatmapFormat.MAP;
  private String fullResolutionRoot; // claim-check.root, or null: not written

  private transient FullResolutionHeatmaps fullHeatmaps;
  private transient FramePayloads payloads;
  private transient Counter heatmapWriteFailures;
  private transient Counter heatmapDecodeFailures;

  /**
   * @param heatmaps whether alerts carry a heatmap PNG (alerts.heatmaps)
   * @param limits the frames' limits, to decode a frame for the overlay format
   */
  public AlertRenderer(boolean heatmaps, FrameLimits limits) {
    this.heatmaps = heatmaps;
    this.limits = limits;
  }

  /** Heatmaps at most this many pixels on their longer side (alerts.heatmap.max-side). */
  public AlertRenderer withHeatmapMaxSide(int maxSide) {
    this.heatmapMaxSide = Verdicts.checkHeatmapMaxSide(maxSide);
    return this;
  }

  /** How heatmaps are drawn (alerts.heatmap.format). */
  public AlertRenderer withHeatmapFormat(HeatmapFormat format) {
    this.heatmapFormat = Objects.requireNonNull(format, "alerts.heatmap.format");
    return this;
  }

  /** Whether the scored frames must keep their pixels for this renderer (the overlay format). */
  public boolean needsPixels() {
    return heatmaps && heatmapFormat == HeatmapFormat.OVERLAY;
  }

  /**
   * Also write each alert's map at the frame's resolution under {@code claimCheckRoot}/heatmaps
   * (alerts.heatmap.full-resolution); null = off.
   */
  public AlertRenderer withFullResolutionHeatmaps(String claimCheckRoot) {
    this.fullResolutionRoot = claimCheckRoot;
    return this;
  }

  @Override
  public void open(OpenContext context) throws Exception {
    payloads = new FramePayloads(limits);
    fullHeatmaps =
        heatmaps && fullResolutionRoot != null
            ? new FullResolutionHeatmaps(fullResolutionRoot)
            : null;
    heatmapWriteFailures = getRuntimeContext().getMetricGroup().counter("heatmapWriteFailures");
    heatmapDecodeFailures = getRuntimeContext().getMetricGroup().counter("heatmapDecodeFailures");
  }

  @Override
  public Alert map(ScoredFrame s) {
    FloatImage shown = null;
    if (needsPixels()) {
      try {
        shown = Verdicts.fitWithin(payloads.decode(s.frame), heatmapMaxSide);
      } catch (Exception e) {
        // decoded once already by inference; a claim-check object gone since then must not hold
        // the alert: it goes out with the map format instead of the overlay
        heatmapDecodeFailures.inc();
        LOG.warn(
            "frame {} could not be decoded again for its overlay, its alert carries the map: {}",
            s.frame.getFrameId(),
            e.toString());
      }
    }
    Alert alert = Verdicts.alert(s, shown, heatmaps ? heatmapMaxSide : 0, heatmapFormat);
    if (fullHeatmaps != null) {
      try {
        alert = fullHeatmaps.attach(alert, s.map, s.mapSize);
      } catch (IOException | RuntimeException e) {
        // the alert goes out without it: a full disk or a store outage must not hold alerts
        heatmapWriteFailures.inc();
        LOG.warn(
            "full-resolution heatmap of frame {} not written: {}",
            s.frame.getFrameId(),
            e.toString());
      }
    }
    return alert;
  }
}
