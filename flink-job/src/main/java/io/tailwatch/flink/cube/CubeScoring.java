package io.tailwatch.flink.cube;

import io.tailwatch.detector.hyperspectral.CubeDecision;
import io.tailwatch.detector.hyperspectral.CubeScorer;
import io.tailwatch.detector.hyperspectral.SpectralCube;
import io.tailwatch.detector.image.FloatImage;
import io.tailwatch.detector.scoring.RegionBox;
import io.tailwatch.detector.scoring.Regions;
import io.tailwatch.flink.inference.Verdicts;
import io.tailwatch.flink.ingest.CubeLimits;
import io.tailwatch.flink.ingest.CubePayloads;
import io.tailwatch.flink.ingest.DeadLetters;
import io.tailwatch.flink.ingest.FrameRejectedException;
import io.tailwatch.flink.ingest.IngestRouter;
import io.tailwatch.flink.ingest.Ingested;
import io.tailwatch.schemas.Alert;
import io.tailwatch.schemas.AvroSerdes;
import io.tailwatch.schemas.DeadLetterReason;
import io.tailwatch.schemas.FrameScore;
import io.tailwatch.schemas.HyperspectralCube;
import io.tailwatch.schemas.Modality;
import io.tailwatch.schemas.Region;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Scores each validated cube: decode (claim checks loaded here), per-pixel map, {@link
 * CubeDecision}; a FrameScore (modality HYPERSPECTRAL) for every cube and an Alert with
 * anomalous-pixel count, bounding regions and a false-colour heatmap for anomalous ones. A cube is
 * scored as one batch of its pixels (ONNX Runtime sees chunks of up to 8,192 spectra). Undecodable
 * cubes and scoring failures become dead letters, counted. Stateless: exactly-once comes from the
 * source offsets and the transactional sinks.
 *
 * <p>Metrics: {@code cubesScored}, {@code cubeAlerts}, {@code cubeDeadLetters}, {@code
 * cubeInferenceFailures}, {@code lastCubeScoringMillis}.
 */
public final class CubeScoring extends ProcessFunction<Ingested, FrameScore> {
  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(CubeScoring.class);
  public static final OutputTag<Alert> ALERTS = new OutputTag<>("cube-alerts") {};

  /** What alerts and scores carry as bank version: cubes are scored without a memory bank. */
  public static final String NO_BANK = "-";

  private final CubeScorerFactory factory;
  private final CubeLimits limits;
  private final double sigmas;
  private final int minPixels;
  private final boolean heatmaps;
  private int heatmapMaxSide = io.tailwatch.flink.inference.Verdicts.DEFAULT_HEATMAP_MAX_SIDE;

  private transient CubeScorer scorer;
  private transient CubePayloads payloads;
  private transient AvroSerdes<HyperspectralCube> serdes;
  private transient Counter scored;
  private transient Counter alerts;
  private transient Counter deadLetters;
  private transient Counter failures;
  private transient volatile long lastMillis;

  public CubeScoring(
      CubeScorerFactory factory,
      CubeLimits limits,
      double sigmas,
      int minPixels,
      boolean heatmaps) {
    this.factory = factory;
    this.limits = limits;
    this.sigmas = sigmas;
    this.minPixels = minPixels;
    this.heatmaps = heatmaps;
  }

  private io.tailwatch.flink.inference.HeatmapFormat heatmapFormat =
      io.tailwatch.flink.inference.HeatmapFormat.MAP;

  /** How heatmaps are drawn (alerts.heatmap.format): the gray map, or jet colours. */
  public CubeScoring withHeatmapFormat(io.tailwatch.flink.inference.HeatmapFormat format) {
    this.heatmapFormat = java.util.Objects.requireNonNull(format, "alerts.heatmap.format");
    return this;
  }

  /** Cube heatmaps at most this many pixels on their longer side (alerts.heatmap.max-side). */
  public CubeScoring withHeatmapMaxSide(int maxSide) {
    this.heatmapMaxSide = io.tailwatch.flink.inference.Verdicts.checkHeatmapMaxSide(maxSide);
    return this;
  }

  @Override
  public void open(OpenContext context) throws Exception {
    scorer = factory.open();
    payloads = new CubePayloads(limits);
    serdes = AvroSerdes.forType(HyperspectralCube.class);
    var group = getRuntimeContext().getMetricGroup();
    scored = group.counter("cubesScored");
    alerts = group.counter("cubeAlerts");
    deadLetters = group.counter("cubeDeadLetters");
    failures = group.counter("cubeInferenceFailures");
    group.gauge("lastCubeScoringMillis", () -> lastMillis);
    LOG.info(
        "cube scoring with {} (pixel threshold median + {} robust sigmas, alert at {} pixel(s))",
        scorer.modelVersion(),
        sigmas,
        minPixels);
  }

  @Override
  public void processElement(Ingested in, Context ctx, Collector<FrameScore> out) {
    HyperspectralCube cube = in.cube;
    SpectralCube decoded;
    try {
      decoded = payloads.decode(cube);
    } catch (FrameRejectedException e) {
      deadLetter(in, ctx, e.reason(), e.getMessage());
      return;
    }
    long started = System.nanoTime();
    float[] map;
    try {
      map = scorer.score(decoded);
      for (float v : map) {
        if (!Float.isFinite(v)) {
          throw new IllegalStateException("the detector produced a non-finite pixel score");
        }
      }
    } catch (Exception e) {
      failures.inc();
      LOG.warn(
          "scoring cube {} failed; it goes to the dead-letter topic: {}",
          cube.getCubeId(),
          e.toString());
      deadLetter(in, ctx, DeadLetterReason.INFERENCE_FAILED, scorer.modelVersion() + ": " + e);
      return;
    }
    lastMillis = (System.nanoTime() - started) / 1_000_000;
    CubeDecision d = CubeDecision.of(map, decoded.samples(), decoded.lines(), sigmas, minPixels);
    long now = System.currentTimeMillis();
    scored.inc();
    out.collect(score(cube, d, now));
    if (d.anomalous()) {
      alerts.inc();
      ctx.output(ALERTS, alert(cube, d, map, decoded, now));
    }
  }

  private void deadLetter(Ingested in, Context ctx, DeadLetterReason reason, String message) {
    deadLetters.inc();
    // the record re-encoded, so the dead letter holds everything the sender sent (a claim check
    // stays a reference)
    ctx.output(
        IngestRouter.DEAD_LETTERS,
        DeadLetters.of(
            in.topic,
            in.partition,
            in.offset,
            in.key,
            reason,
            message,
            serdes.encode(in.cube),
            System.currentTimeMillis()));
  }

  FrameScore score(HyperspectralCube cube, CubeDecision d, long now) {
    return FrameScore.newBuilder()
        .setFrameId(cube.getCubeId())
        .setLineId(cube.getLineId())
        .setSourceId(cube.getSourceId())
        .setModality(Modality.HYPERSPECTRAL)
        .setCaptureTime(cube.getCaptureTime())
        .setDetectTime(Instant.ofEpochMilli(now))
        .setScore(d.score())
        .setThreshold(d.threshold())
        .setAnomalous(d.anomalous())
        .setBankVersion(NO_BANK)
        .setLatencyMs(Math.max(0, now - cube.getCaptureTime().toEpochMilli()))
        .setAttributes(cube.getAttributes())
        .build();
  }

  Alert alert(HyperspectralCube cube, CubeDecision d, float[] map, SpectralCube decoded, long now) {
    List<Region> regions = new ArrayList<>();
    for (RegionBox r : Regions.strongest(d.regions(), Verdicts.MAX_ALERT_REGIONS)) {
      regions.add(new Region(r.x(), r.y(), r.width(), r.height(), r.area(), r.maxScore()));
    }
    ByteBuffer png = null;
    if (heatmaps) {
      // blue at the threshold's lower half, red from the threshold up: anomalous pixels stand out;
      // the map scaled to alerts.heatmap.max-side like a camera frame's, the regions in cube pixels
      FloatImage small =
          Verdicts.fitWithin(
              new FloatImage(decoded.samples(), decoded.lines(), 1, map), heatmapMaxSide);
      double low = d.threshold() * 0.5;
      png = ByteBuffer.wrap(heatmapFormat.render(small, low, d.threshold()));
    }
    return Alert.newBuilder()
        .setAlertId(cube.getLineId() + "/" + cube.getCubeId() + "/" + scorer.modelVersion())
        .setFrameId(cube.getCubeId())
        .setLineId(cube.getLineId())
        .setSourceId(cube.getSourceId())
        .setModality(Modality.HYPERSPECTRAL)
        .setCaptureTime(cube.getCaptureTime())
        .setDetectTime(Instant.ofEpochMilli(now))
        .setScore(d.score())
        .setThreshold(d.threshold())
        .setCalibratedScore(d.calibrated())
        .setModelVersion(scorer.modelVersion())
        .setBankVersion(NO_BANK)
        .setHeatmapPng(png)
        .setHeatmapFormat(heatmapFormat.wireName())
        .setFrameWidth(decoded.samples())
        .setFrameHeight(decoded.lines())
        .setHeatmapLow(png == null ? null : d.threshold() * 0.5)
        .setHeatmapHigh(png == null ? null : d.threshold())
        .setRegions(regions)
        .setAnomalousPixels((long) d.anomalousPixels())
        .setLatencyMs(Math.max(0, now - cube.getCaptureTime().toEpochMilli()))
        .build();
  }

  @Override
  public void close() throws Exception {
    if (scorer != null) {
      scorer.close();
    }
  }
}
