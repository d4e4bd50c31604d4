package io.tailwatch.flink.render;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.tailwatch.flink.inference.HeatmapFormat;
import io.tailwatch.flink.inference.ScoredFrame;
import io.tailwatch.flink.ingest.ClaimChecks;
import io.tailwatch.flink.ingest.FrameLimits;
import io.tailwatch.flink.testing.TestFrames;
import io.tailwatch.schemas.Alert;
import io.tailwatch.schemas.CameraFrame;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import javax.imageio.ImageIO;
import org.apache.flink.streaming.api.operators.StreamMap;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The rendering stage: an alerted frame becomes its alert, with regions in frame pixels and the
 * heatmap in the configured format and size; full-resolution maps beside the claim checks.
 */
class AlertRendererTest {
  static final FrameLimits LIMITS = new FrameLimits(1 << 20, 1024, null);

  /** An alerted frame of {@code width x height} whose 8x8 map is {@code value}/255 everywhere. */
  static ScoredFrame alerted(CameraFrame frame, int width, int height, int value) {
    ScoredFrame s = new ScoredFrame();
    s.frame = frame;
    s.frameWidth = width;
    s.frameHeight = height;
    s.score = value / 255.0;
    s.map = new float[64];
    Arrays.fill(s.map, (float) s.score);
    s.mapSize = 8;
    s.modelVersion = "scripted";
    s.bankVersion = "bank-1";
    s.bankThreshold = 0.5;
    s.threshold = 0.5;
    s.calibrated = 0.97;
    s.decidedAt = frame.getCaptureTime().toEpochMilli() + 40;
    return s;
  }

  static ScoredFrame alerted(int value) {
    return alerted(TestFrames.raw("f1", 8, value), 8, 8, value);
  }

  static Alert render(AlertRenderer renderer, ScoredFrame s) throws Exception {
    try (var h = new OneInputStreamOperatorTestHarness<>(new StreamMap<>(renderer))) {
      h.open();
      h.processElement(new StreamRecord<>(s));
      return h.extractOutputValues().get(0);
    }
  }

  static BufferedImage png(Alert a) throws Exception {
    byte[] png = new byte[a.getHeatmapPng().remaining()];
    a.getHeatmapPng().duplicate().get(png);
    return ImageIO.read(new ByteArrayInputStream(png));
  }

  @Test
  void anAlertHasItsRegionsVersionsAndAGrayMap() throws Exception {
    Alert a = render(new AlertRenderer(true, LIMITS), alerted(200));
    assertThat(a.getFrameId()).isEqualTo("f1");
    assertThat(a.getAlertId()).isEqualTo("line-1/f1/bank-1");
    assertThat(a.getThreshold()).isEqualTo(0.5);
    assertThat(a.getCalibratedScore()).isEqualTo(0.97);
    assertThat(a.getBankVersion()).isEqualTo("bank-1");
    assertThat(a.getModelVersion()).isEqualTo("scripted");
    assertThat(a.getLatencyMs()).isEqualTo(40);
    assertThat(a.getRegions()).hasSize(1); // the whole 8x8 frame is above the threshold
    assertThat(a.getRegions().get(0).getWidth()).isEqualTo(8);
    BufferedImage heatmap = png(a);
    assertThat(heatmap.getWidth()).isEqualTo(8);
    // the default heatmap is the map itself in 8-bit gray: its levels read back as map values
    assertThat(a.getHeatmapFormat().toString()).isEqualTo("map");
    assertThat(heatmap.getRaster().getNumBands()).isEqualTo(1);
    double low = a.getHeatmapLow();
    double high = a.getHeatmapHigh();
    double value = low + heatmap.getRaster().getSample(4, 4, 0) / 255.0 * (high - low);
    assertThat(value).isCloseTo(Math.min(high, 200 / 255.0), within((high - low) / 255 + 1e-6));
    // heatmaps off: regions, no PNG
    Alert bare = render(new AlertRenderer(false, LIMITS), alerted(200));
    assertThat(bare.getHeatmapPng()).isNull();
    assertThat(bare.getRegions()).hasSize(1);
  }

  /** The overlay, on request: jet colours over the frame (decoded again here), RGB. */
  @Test
  void theOverlayIsDrawnOverTheDecodedFrame() throws Exception {
    AlertRenderer overlay =
        new AlertRenderer(true, LIMITS).withHeatmapFormat(HeatmapFormat.OVERLAY);
    assertThat(overlay.needsPixels()).isTrue();
    assertThat(new AlertRenderer(true, LIMITS).needsPixels()).isFalse();
    Alert a = render(overlay, alerted(200));
    assertThat(a.getHeatmapFormat().toString()).isEqualTo("overlay");
    assertThat(png(a).getRaster().getNumBands()).isEqualTo(3);
    // pixels that cannot be decoded again: the alert still goes out, with the map
    CameraFrame gone =
        TestFrames.builder("f1", 8, 8).setPayload(java.nio.ByteBuffer.allocate(0)).build();
    Alert fallback = render(overlay, alerted(gone, 8, 8, 200));
    assertThat(fallback.getHeatmapFormat().toString()).isEqualTo("map");
    assertThat(png(fallback).getRaster().getNumBands()).isEqualTo(1);
  }

  /**
   * alerts.heatmap.full-resolution: the map at the frame's size, written under the claim-check root
   * and named in the alert with its digest; a write that fails leaves the alert without it.
   */
  @Test
  void fullResolutionMapsAreWrittenBesideTheClaimChecks(@TempDir Path root) throws Exception {
    Alert a =
        render(
            new AlertRenderer(true, LIMITS).withFullResolutionHeatmaps(root.toString()),
            alerted(200));
    Path file = Path.of(java.net.URI.create(a.getHeatmapFullUri().toString()));
    assertThat(file.getParent()).isEqualTo(root.resolve("heatmaps"));
    byte[] png = Files.readAllBytes(file);
    assertThat(a.getHeatmapFullSha256().toString()).isEqualTo(ClaimChecks.sha256Hex(png));
    BufferedImage map = ImageIO.read(new ByteArrayInputStream(png));
    assertThat(map.getWidth()).isEqualTo(a.getFrameWidth());
    assertThat(map.getHeight()).isEqualTo(a.getFrameHeight());
    assertThat(map.getColorModel().getComponentSize(0)).isEqualTo(16);
    // the root is a file: nothing can be written under it, the alert still goes out
    Path notAFolder = Files.writeString(root.resolve("file"), "x");
    Alert without =
        render(
            new AlertRenderer(true, LIMITS).withFullResolutionHeatmaps(notAFolder.toString()),
            alerted(200));
    assertThat(without.getHeatmapFullUri()).isNull();
    assertThat(without.getHeatmapPng()).isNotNull();
  }

  /**
   * A frame larger than alerts.heatmap.max-side gets a scaled-down heatmap (aspect kept) while its
   * regions stay in frame pixels and the alert says the frame's size: alerts stay small whatever
   * the camera.
   */
  @Test
  void theHeatmapOfALargeFrameIsScaledDownAndItsRegionsStayInFramePixels() throws Exception {
    CameraFrame big =
        TestFrames.builder("big", 1000, 600).setPayload(java.nio.ByteBuffer.allocate(0)).build();
    Alert a =
        render(
            new AlertRenderer(true, LIMITS).withHeatmapMaxSide(64), alerted(big, 1000, 600, 200));
    assertThat(a.getFrameWidth()).isEqualTo(1000);
    assertThat(a.getFrameHeight()).isEqualTo(600);
    assertThat(a.getRegions().get(0).getWidth()).isEqualTo(1000);
    assertThat(a.getRegions().get(0).getHeight()).isEqualTo(600);
    BufferedImage image = png(a);
    assertThat(image.getWidth()).isEqualTo(64);
    assertThat(image.getHeight()).isEqualTo(38);
    assertThat(a.getHeatmapLow()).isLessThan(a.getHeatmapHigh());
    assertThatThrownBy(() -> new AlertRenderer(true, LIMITS).withHeatmapMaxSide(8))
        .hasMessageContaining("alerts.heatmap.max-side must be at least 16, was 8");
  }
}
