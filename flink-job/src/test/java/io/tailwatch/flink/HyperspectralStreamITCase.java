package io.tailwatch.flink;

import static org.assertj.core.api.Assertions.assertThat;

import io.tailwatch.detector.hyperspectral.CubeDecision;
import io.tailwatch.detector.hyperspectral.CubeScorer;
import io.tailwatch.detector.sim.CubeSimulator;
import io.tailwatch.detector.sim.ProductLineSimulator;
import io.tailwatch.detector.testing.TinyBackbone;
import io.tailwatch.flink.config.JobConfig;
import io.tailwatch.flink.cube.CubeRecords;
import io.tailwatch.flink.ingest.ClaimCheckWriter;
import io.tailwatch.flink.testing.EmbeddedKafka;
import io.tailwatch.flink.testing.TestJobs;
import io.tailwatch.flink.testing.TinyBank;
import io.tailwatch.schemas.Alert;
import io.tailwatch.schemas.AvroSerdes;
import io.tailwatch.schemas.ByteOrder;
import io.tailwatch.schemas.CubeDataType;
import io.tailwatch.schemas.DeadLetter;
import io.tailwatch.schemas.DeadLetterReason;
import io.tailwatch.schemas.FrameScore;
import io.tailwatch.schemas.HyperspectralCube;
import io.tailwatch.schemas.Interleave;
import io.tailwatch.schemas.Modality;
import io.tailwatch.schemas.Region;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Collectors;
import javax.imageio.ImageIO;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cube chain on a MiniCluster against an in-process broker: simulated cubes in every
 * interleave, integer and float samples, both byte orders, one by claim check, and corrupt cubes;
 * out come exactly one score per good cube, exactly the alerts an offline run of the same detector
 * predicts (with pixel counts, regions on the targets and a heatmap of the cube's size), and one
 * dead letter per corrupt cube with its reason.
 */
class HyperspectralStreamITCase {
  @RegisterExtension
  static final MiniClusterExtension FLINK =
      new MiniClusterExtension(
          new MiniClusterResourceConfiguration.Builder()
              .setNumberTaskManagers(1)
              .setNumberSlotsPerTaskManager(2)
              .build());

  @RegisterExtension static final EmbeddedKafka.PerClass KAFKA = new EmbeddedKafka.PerClass();

  static final int LINES = 32;
  static final int SAMPLES = 40;
  static final int BANDS = 24;

  @Test
  void cubesScoredAlertedExactlyOnceAndCorruptOnesDeadLettered(@TempDir Path dir) throws Exception {
    Path model = TinyBackbone.write(dir, "tiny.onnx");
    Path bankFile = dir.resolve("bank.twb");
    TinyBank.fit(model, bankFile, new ProductLineSimulator(5, 64, 0.0));

    String suffix = Long.toString(System.nanoTime());
    String frames = "frames-" + suffix;
    String cubes = "cubes-" + suffix;
    String alerts = "alerts-" + suffix;
    String scores = "scores-" + suffix;
    String dead = "dead-" + suffix;
    KAFKA.broker().createTopics(2, frames, cubes, alerts, scores, dead);

    CubeSimulator sim = new CubeSimulator(21, LINES, SAMPLES, BANDS, 0.5);
    Interleave[] interleaves = Interleave.values();
    AvroSerdes<HyperspectralCube> serdes = AvroSerdes.forType(HyperspectralCube.class);
    Path claimRoot = Files.createDirectories(dir.resolve("claims"));
    Map<String, CubeSimulator.SimulatedCube> good = new HashMap<>();
    Map<String, DeadLetterReason> corrupt = new HashMap<>();
    try (KafkaProducer<byte[], byte[]> producer = KAFKA.broker().producer()) {
      for (int i = 0; i < 12; i++) {
        CubeSimulator.SimulatedCube c = sim.cube(i);
        String id = "cube-" + i;
        good.put(id, c);
        HyperspectralCube record =
            CubeRecords.inline(
                    id,
                    "line-h",
                    c.cube(),
                    interleaves[i % 3],
                    i % 2 == 0 ? CubeDataType.UINT16 : CubeDataType.FLOAT32,
                    i % 4 < 2 ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN,
                    Instant.now(),
                    Map.of("target", Boolean.toString(c.hasTarget())))
                .build();
        if (i == 7) { // claim check: the payload lies in a file under the root
          ClaimCheckWriter.Written ref =
              new ClaimCheckWriter(claimRoot.toString())
                  .write(id + ".raw", bytes(record.getPayload()));
          record =
              HyperspectralCube.newBuilder(record)
                  .setPayload(null)
                  .setPayloadUri(ref.uri())
                  .setPayloadSha256(ref.sha256())
                  .build();
        }
        producer.send(new ProducerRecord<>(cubes, key(id), serdes.encode(record)));
      }
      HyperspectralCube base =
          CubeRecords.inline(
                  "x",
                  "line-h",
                  sim.cube(99).cube(),
                  Interleave.BIP,
                  CubeDataType.FLOAT32,
                  ByteOrder.LITTLE_ENDIAN,
                  Instant.now(),
                  Map.of())
              .build();
      corrupt.put("garbage", DeadLetterReason.UNDECODABLE);
      producer.send(
          new ProducerRecord<>(
              cubes, key("garbage"), "not a cube".getBytes(StandardCharsets.UTF_8)));
      corrupt.put("too-many-bands", DeadLetterReason.INVALID_FIELD);
      producer.send(
          new ProducerRecord<>(
              cubes,
              key("too-many-bands"),
              serdes.encode(
                  HyperspectralCube.newBuilder(base)
                      .setCubeId("too-many-bands")
                      .setBands(5000)
                      .build())));
      corrupt.put("short-payload", DeadLetterReason.DIMENSION_MISMATCH);
      producer.send(
          new ProducerRecord<>(
              cubes,
              key("short-payload"),
              serdes.encode(
                  HyperspectralCube.newBuilder(base)
                      .setCubeId("short-payload")
                      .setLines(LINES + 1)
                      .build())));
      ByteBuffer nan =
          ByteBuffer.wrap(bytes(base.getPayload())).order(java.nio.ByteOrder.LITTLE_ENDIAN);
      nan.putFloat(4 * 100, Float.NaN);
      corrupt.put("nan-sample", DeadLetterReason.UNDECODABLE);
      producer.send(
          new ProducerRecord<>(
              cubes,
              key("nan-sample"),
              serdes.encode(
                  HyperspectralCube.newBuilder(base)
                      .setCubeId("nan-sample")
                      .setPayload(ByteBuffer.wrap(nan.array()))
                      .build())));
      corrupt.put("escaping-claim", DeadLetterReason.CLAIM_CHECK_UNREADABLE);
      Path outside = Files.write(dir.resolve("outside.raw"), bytes(base.getPayload()));
      producer.send(
          new ProducerRecord<>(
              cubes,
              key("escaping-claim"),
              serdes.encode(
                  HyperspectralCube.newBuilder(base)
                      .setCubeId("escaping-claim")
                      .setPayload(null)
                      .setPayloadUri(outside.toUri().toString())
                      .build())));
      producer.flush();
    }

    JobConfig config =
        TestJobs.config(
            KAFKA.broker().bootstrapServers(),
            "hs-" + suffix,
            frames,
            alerts,
            scores,
            dead,
            model,
            bankFile,
            "--kafka.bounded",
            "true",
            "--topics.cubes",
            cubes,
            "--limits.max-bands",
            "64",
            "--claim-check.root",
            claimRoot.toString(),
            "--checkpoint.interval",
            "500 ms",
            "--job.parallelism",
            "2");
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    TailwatchJob.build(env, config);
    env.execute("tailwatch-cubes-it");

    // what the same detector and decision say offline
    TreeSet<String> expectedAlerts = new TreeSet<>();
    Map<String, CubeDecision> offline = new HashMap<>();
    try (CubeScorer rx = CubeScorer.rx(1e-4)) {
      for (var e : good.entrySet()) {
        CubeDecision d = CubeDecision.of(rx.score(e.getValue().cube()), SAMPLES, LINES, 10, 1);
        offline.put(e.getKey(), d);
        if (d.anomalous()) {
          expectedAlerts.add(e.getKey());
        }
      }
    }
    long targets = good.values().stream().filter(CubeSimulator.SimulatedCube::hasTarget).count();
    assertThat(targets).isBetween(3L, 9L);

    List<FrameScore> scored =
        EmbeddedKafka.decode(
            KAFKA.broker().readCommitted(scores, good.size(), 30_000), FrameScore.class);
    assertThat(scored)
        .extracting(FrameScore::getFrameId)
        .doesNotHaveDuplicates()
        .containsExactlyInAnyOrderElementsOf(good.keySet());
    for (FrameScore s : scored) {
      assertThat(s.getModality()).isEqualTo(Modality.HYPERSPECTRAL);
      // float32 cubes carry the exact simulated values, uint16 ones too (the simulator rounds):
      // same scores
      assertThat(s.getScore())
          .as(s.getFrameId())
          .isCloseTo(
              offline.get(s.getFrameId()).score(),
              org.assertj.core.api.Assertions.within(1e-3 * (1 + s.getScore())));
    }

    List<Alert> alerted =
        EmbeddedKafka.decode(
            KAFKA.broker().readCommitted(alerts, expectedAlerts.size(), 30_000), Alert.class);
    assertThat(alerted)
        .extracting(Alert::getFrameId)
        .doesNotHaveDuplicates()
        .containsExactlyInAnyOrderElementsOf(expectedAlerts);
    for (Alert a : alerted) {
      CubeSimulator.SimulatedCube truth = good.get(a.getFrameId());
      assertThat(truth.hasTarget()).as("%s alerted without a target", a.getFrameId()).isTrue();
      assertThat(a.getModality()).isEqualTo(Modality.HYPERSPECTRAL);
      assertThat(a.getAnomalousPixels()).isGreaterThanOrEqualTo(9L);
      assertThat(a.getModelVersion()).isEqualTo("rx-self(ridge=1e-04)");
      Region top = a.getRegions().get(0);
      int centre = (top.getY() + top.getHeight() / 2) * SAMPLES + top.getX() + top.getWidth() / 2;
      assertThat(truth.anomalous()[centre])
          .as("%s: strongest region on the target", a.getFrameId())
          .isTrue();
      BufferedImage heatmap = ImageIO.read(new ByteArrayInputStream(bytes(a.getHeatmapPng())));
      assertThat(heatmap.getWidth()).isEqualTo(SAMPLES);
      assertThat(heatmap.getHeight()).isEqualTo(LINES);
    }
    assertThat(alerted).as("every target cube alerts").hasSize((int) targets);

    List<DeadLetter> deadLetters =
        EmbeddedKafka.decode(
            KAFKA.broker().readCommitted(dead, corrupt.size(), 30_000), DeadLetter.class);
    Map<String, DeadLetterReason> byKey =
        deadLetters.stream()
            .collect(
                Collectors.toMap(
                    d -> StandardCharsets.UTF_8.decode(d.getKey().duplicate()).toString(),
                    DeadLetter::getReasonCode));
    assertThat(byKey).isEqualTo(corrupt);
    assertThat(deadLetters)
        .allSatisfy(
            d -> {
              assertThat(d.getOriginTopic()).isEqualTo(cubes);
              assertThat(d.getRawValue()).isNotNull();
            });
    assertThat(
            deadLetters.stream()
                .filter(d -> d.getReasonCode() == DeadLetterReason.INVALID_FIELD)
                .findFirst()
                .orElseThrow()
                .getReason())
        .contains("bands 5000 outside [2, 64] (limits.max-bands)");
  }

  static byte[] key(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static byte[] bytes(ByteBuffer b) {
    ByteBuffer d = b.duplicate();
    byte[] out = new byte[d.remaining()];
    d.get(out);
    return out;
  }
}
