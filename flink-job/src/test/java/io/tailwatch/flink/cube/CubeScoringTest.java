package io.tailwatch.flink.cube;

import static org.assertj.core.api.Assertions.assertThat;

import io.tailwatch.detector.hyperspectral.SpectralAutoencoder;
import io.tailwatch.detector.sim.CubeSimulator;
import io.tailwatch.flink.ingest.CubeLimits;
import io.tailwatch.flink.ingest.IngestRouter;
import io.tailwatch.flink.ingest.Ingested;
import io.tailwatch.schemas.Alert;
import io.tailwatch.schemas.ByteOrder;
import io.tailwatch.schemas.CubeDataType;
import io.tailwatch.schemas.DeadLetter;
import io.tailwatch.schemas.DeadLetterReason;
import io.tailwatch.schemas.FrameScore;
import io.tailwatch.schemas.HyperspectralCube;
import io.tailwatch.schemas.Interleave;
import io.tailwatch.schemas.Modality;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.flink.streaming.api.operators.ProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Cube scoring in a harness: RX and an exported autoencoder, alerts, and failures that become dead
 * letters.
 */
class CubeScoringTest {
  static final CubeLimits LIMITS = new CubeLimits(1 << 24, 1 << 20, 256, null);

  static Ingested ingested(HyperspectralCube cube, long offset) {
    return Ingested.cube(cube, "cubes", 0, offset, cube.getCubeId().getBytes(), 0);
  }

  static HyperspectralCube record(String id, CubeSimulator.SimulatedCube c) {
    return CubeRecords.inline(
            id,
            "line-h",
            c.cube(),
            Interleave.BIL,
            CubeDataType.UINT16,
            ByteOrder.BIG_ENDIAN,
            Instant.now(),
            Map.of())
        .build();
  }

  static OneInputStreamOperatorTestHarness<Ingested, FrameScore> harness(CubeScorerFactory factory)
      throws Exception {
    var h =
        new OneInputStreamOperatorTestHarness<>(
            new ProcessOperator<>(new CubeScoring(factory, LIMITS, 10, 1, true)));
    h.open();
    return h;
  }

  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.ValueSource(strings = {"rx", "local-rx"})
  void rxScoresEveryCubeAndAlertsTargetCubes(String detector) throws Exception {
    CubeSimulator sim = new CubeSimulator(3, 24, 32, 16, 0.5);
    try (var h = harness(new CubeScorerFactory(detector, null, 1e-4, "cpu", 1))) {
      int targets = 0;
      for (int i = 0; i < 8; i++) {
        CubeSimulator.SimulatedCube c = sim.cube(i);
        targets += c.hasTarget() ? 1 : 0;
        h.processElement(new StreamRecord<>(ingested(record("c" + i, c), i)));
      }
      List<FrameScore> scores = h.extractOutputValues();
      assertThat(scores)
          .hasSize(8)
          .allSatisfy(s -> assertThat(s.getModality()).isEqualTo(Modality.HYPERSPECTRAL));
      List<Alert> alerts =
          h.getSideOutput(CubeScoring.ALERTS).stream().map(StreamRecord::getValue).toList();
      assertThat(alerts)
          .hasSize(targets)
          .allSatisfy(
              a -> {
                assertThat(a.getAnomalousPixels()).isGreaterThanOrEqualTo(9L);
                assertThat(a.getRegions()).isNotEmpty();
                assertThat(a.getHeatmapPng()).isNotNull();
                assertThat(a.getCalibratedScore()).isBetween(0.0, 1e-3);
              });
      assertThat(targets).isPositive();
    }
  }

  /**
   * A random-weights autoencoder for 16 bands: enough to run the ONNX path, the band check and
   * failures.
   */
  static Path autoencoder(Path dir, int bands) throws Exception {
    SplittableRandom r = new SplittableRandom(1);
    float[] mean = new float[bands];
    float[] scale = new float[bands];
    java.util.Arrays.fill(mean, 1000);
    java.util.Arrays.fill(scale, 300);
    float[] w1 = new float[4 * bands];
    float[] w2 = new float[bands * 4];
    for (int i = 0; i < w1.length; i++) {
      w1[i] = (float) r.nextGaussian() * 0.3f;
      w2[i] = (float) r.nextGaussian() * 0.3f;
    }
    SpectralAutoencoder ae =
        new SpectralAutoencoder(
            bands,
            mean,
            scale,
            List.of(
                new SpectralAutoencoder.Dense(bands, 4, w1, new float[4]),
                new SpectralAutoencoder.Dense(4, bands, w2, new float[bands])),
            Map.of("train.variant", "test"));
    Path file = dir.resolve("ae.onnx");
    ae.save(file);
    return file;
  }

  @Test
  void autoencoderScoresAndAWrongBandCountIsADeadLetterNotACrash(@TempDir Path dir)
      throws Exception {
    Path model = autoencoder(dir, 16);
    CubeSimulator good = new CubeSimulator(3, 16, 16, 16, 0.0);
    CubeSimulator wrong = new CubeSimulator(3, 16, 16, 12, 0.0);
    try (var h = harness(new CubeScorerFactory("autoencoder", model.toString(), 0, "cpu", 1))) {
      h.processElement(new StreamRecord<>(ingested(record("good", good.cube(0)), 0)));
      h.processElement(new StreamRecord<>(ingested(record("wrong-bands", wrong.cube(0)), 1)));
      h.processElement(new StreamRecord<>(ingested(record("good-2", good.cube(1)), 2)));
      assertThat(h.extractOutputValues())
          .extracting(FrameScore::getFrameId)
          .containsExactly("good", "good-2");
      List<DeadLetter> dead =
          h.getSideOutput(IngestRouter.DEAD_LETTERS).stream().map(StreamRecord::getValue).toList();
      assertThat(dead).hasSize(1);
      assertThat(dead.get(0).getReasonCode()).isEqualTo(DeadLetterReason.INFERENCE_FAILED);
      assertThat(dead.get(0).getReason())
          .contains("ae.onnx@")
          .contains("12 bands")
          .contains("expects 16");
      assertThat(dead.get(0).getRawValue()).isNotNull();
      assertThat(dead.get(0).getOriginOffset()).isEqualTo(1);
    }
  }
}
