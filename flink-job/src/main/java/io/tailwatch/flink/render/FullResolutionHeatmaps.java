package io.tailwatch.flink.render;

import io.tailwatch.detector.scoring.Heatmaps;
import io.tailwatch.flink.ingest.ClaimCheckWriter;
import io.tailwatch.schemas.Alert;
import java.io.IOException;

/**
 * Writes an alert's anomaly map at the frame's resolution (a 16-bit gray PNG, on the alert's own
 * heatmapLow..heatmapHigh scale) next to the claim-checked frames, under {@code
 * <claim-check.root>/heatmaps/} as {@code <line>_<frame>_<bank>.png}, and points the alert at it by
 * URI and SHA-256 ({@code alerts.heatmap.full-resolution}). The alert itself stays small; the map
 * can be as large as the frame. A replay writes the same name again, so exactly-once alerts find
 * their map.
 */
final class FullResolutionHeatmaps {
  static final String FOLDER = "heatmaps";

  private final ClaimCheckWriter writer;

  /**
   * @param claimCheckRoot the job's claim-check.root (folder or URI)
   */
  FullResolutionHeatmaps(String claimCheckRoot) {
    this.writer = new ClaimCheckWriter(ClaimCheckWriter.subfolder(claimCheckRoot, FOLDER));
  }

  /** The alert with heatmapFullUri/Sha256 set, once the map is written. */
  Alert attach(Alert alert, float[] map, int mapSize) throws IOException {
    if (alert.getHeatmapLow() == null || alert.getHeatmapHigh() == null) {
      return alert; // heatmaps off: nothing to scale the map by
    }
    byte[] png =
        Heatmaps.png(
            Heatmaps.gray16(
                map,
                mapSize,
                mapSize,
                alert.getFrameWidth(),
                alert.getFrameHeight(),
                alert.getHeatmapLow(),
                alert.getHeatmapHigh()));
    String name =
        (alert.getLineId() + "_" + alert.getFrameId() + "_" + alert.getBankVersion())
                .replaceAll("[^A-Za-z0-9_-]", "_")
            + ".png";
    ClaimCheckWriter.Written w = writer.write(name, png);
    return Alert.newBuilder(alert)
        .setHeatmapFullUri(w.uri())
        .setHeatmapFullSha256(w.sha256())
        .build();
  }
}
