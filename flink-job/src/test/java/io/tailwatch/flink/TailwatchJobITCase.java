package io.tailwatch.flink;

import static org.assertj.core.api.Assertions.assertThat;

import io.tailwatch.detector.image.FloatImage;
import io.tailwatch.detector.scoring.Detection;
import io.tailwatch.detector.sim.ProductLineSimulator;
import io.tailwatch.detector.sim.SimulatedFrame;
import io.tailwatch.detector.testing.TinyBackbone;
import io.tailwatch.flink.config.JobConfig;
import io.tailwatch.flink.inference.FrameDetector;
import io.tailwatch.flink.inference.PatchCoreDetectorFactory;
import io.tailwatch.flink.ingest.ClaimCheckWriter;
import io.tailwatch.flink.testing.EmbeddedKafka;
import io.tailwatch.flink.testing.TestFrames;
import io.tailwatch.flink.testing.TestJobs;
import io.tailwatch.flink.testing.TinyBank;
import io.tailwatch.schemas.Alert;
import io.tailwatch.schemas.AvroSerdes;
import io.tailwatch.schemas.CameraFrame;
import io.tailwatch.schemas.DeadLetter;
import io.tailwatch.schemas.DeadLetterReason;
import io.tailwatch.schemas.FrameScore;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole job on a MiniCluster against an in-process KRaft broker: good frames with known defects
 * and corrupt records in; exactly the alerts an offline run of the same detector predicts
 * (read_committed, no duplicates), a score per good frame, and one dead letter per corrupt record
 * with its reason.
 */
class TailwatchJobITCase {
  @RegisterExtension
  static final MiniClusterExtension FLINK =
      new MiniClusterExtension(
          new MiniClusterResourceConfiguration.Builder()
              .setNumberTaskManagers(1)
              .setNumberSlotsPerTaskManager(2)
              .build());

  @RegisterExtension static final EmbeddedKafka.PerClass KAFKA = new EmbeddedKafka.PerClass();

  @Test
  void scoresGoodFramesAlertsExactlyOnceAndDeadLettersCorruptRecords(@TempDir Path dir)
      throws Exception {
    // a detector on a generated CNN, fitted and calibrated on simulated normal frames of one
    // product
    Path model = TinyBackbone.write(dir, "tiny.onnx");
    Path bankFile = dir.resolve("bank.twb");
    ProductLineSimulator line = new ProductLineSimulator(5, 64, 0.0);
    TinyBank.fit(model, bankFile, line);

    // good frames (every third defective) and corrupt records
    ProductLineSimulator.Defect[] defects = ProductLineSimulator.Defect.values();
    List<SimulatedFrame> frames = new ArrayList<>();
    for (int i = 0; i < 24; i++) {
      frames.add(
          line.frame(
              1000 + i,
              ProductLineSimulator.Variant.BRUSHED,
              i % 3 == 2 ? defects[(i / 3) % defects.length] : null));
    }
    String suffix = Long.toString(System.nanoTime());
    String in = "frames-" + suffix;
    String alerts = "alerts-" + suffix;
    String scores = "scores-" + suffix;
    String dead = "dead-" + suffix;
    KAFKA.broker().createTopics(2, in, alerts, scores, dead);
    AvroSerdes<CameraFrame> serdes = AvroSerdes.forType(CameraFrame.class);
    Path claimRoot = Files.createDirectories(dir.resolve("claims"));
    Path outside = Files.write(dir.resolve("outside.png"), frames.get(0).png());
    Map<String, DeadLetterReason> corrupt = new HashMap<>();
    try (KafkaProducer<byte[], byte[]> producer = KAFKA.broker().producer()) {
      for (int i = 0; i < frames.size(); i++) {
        CameraFrame f = TestFrames.png(frames.get(i));
        if (i == 5) { // a claim-check frame: the payload is a file under the claim-check root
          ClaimCheckWriter.Written ref =
              new ClaimCheckWriter(claimRoot.toString()).write("f5.png", frames.get(i).png());
          f =
              CameraFrame.newBuilder(f)
                  .setPayload(null)
                  .setPayloadUri(ref.uri())
                  .setPayloadSha256(ref.sha256())
                  .build();
        }
        producer.send(new ProducerRecord<>(in, key(f.getFrameId()), serdes.encode(f)));
      }
      corrupt.put("garbage", DeadLetterReason.UNDECODABLE);
      producer.send(
          new ProducerRecord<>(
              in, key("garbage"), "not avro at all".getBytes(StandardCharsets.UTF_8)));
      byte[] unknown = serdes.encode(TestFrames.png(frames.get(1)));
      unknown[2] ^= 0x5a; // flips the schema fingerprint
      corrupt.put("unknown-schema", DeadLetterReason.UNKNOWN_SCHEMA);
      producer.send(new ProducerRecord<>(in, key("unknown-schema"), unknown));
      corrupt.put("wrong-size", DeadLetterReason.DIMENSION_MISMATCH);
      producer.send(
          new ProducerRecord<>(
              in,
              key("wrong-size"),
              serdes.encode(
                  CameraFrame.newBuilder(TestFrames.png(frames.get(2)))
                      .setFrameId("wrong-size")
                      .setWidth(65)
                      .build())));
      corrupt.put("escaping-claim", DeadLetterReason.CLAIM_CHECK_UNREADABLE);
      producer.send(
          new ProducerRecord<>(
              in,
              key("escaping-claim"),
              serdes.encode(
                  CameraFrame.newBuilder(TestFrames.png(frames.get(3)))
                      .setFrameId("escaping-claim")
                      .setPayload(null)
                      .setPayloadUri(outside.toUri().toString())
                      .build())));
      corrupt.put("too-large", DeadLetterReason.PAYLOAD_TOO_LARGE);
      producer.send(
          new ProducerRecord<>(
              in,
              key("too-large"),
              serdes.encode(
                  TestFrames.builder("too-large", 128, 128)
                      .setPayload(ByteBuffer.wrap(new byte[128 * 128]))
                      .build())));
      producer.flush();
    }

    JobConfig config =
        TestJobs.config(
            KAFKA.broker().bootstrapServers(),
            "it-" + suffix,
            in,
            alerts,
            scores,
            dead,
            model,
            bankFile,
            "--kafka.bounded",
            "true",
            "--batch.max-size",
            "4",
            "--batch.max-wait",
            "20 ms",
            "--limits.max-payload-bytes",
            "10000",
            "--claim-check.root",
            claimRoot.toString(),
            "--checkpoint.interval",
            "500 ms",
            "--job.parallelism",
            "2");
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    TailwatchJob.build(env, config);
    env.execute("tailwatch-it");

    // what the same detector says offline
    Set<String> expectedAlerts = new java.util.TreeSet<>();
    Map<String, Double> expectedScores = new HashMap<>();
    PatchCoreDetectorFactory factory =
        new PatchCoreDetectorFactory(model.toString(), bankFile.toString(), "cpu", 1, null, false);
    try (FrameDetector detector = factory.open()) {
      List<FloatImage> images = frames.stream().map(SimulatedFrame::toFloatImage).toList();
      List<Detection> ds = detector.detect(images);
      for (int i = 0; i < frames.size(); i++) {
        expectedScores.put("frame-" + frames.get(i).index(), ds.get(i).score());
        if (ds.get(i).score() > detector.threshold()) {
          expectedAlerts.add("frame-" + frames.get(i).index());
        }
      }
    }

    List<FrameScore> scored =
        decode(KAFKA.broker().readCommitted(scores, frames.size(), 30_000), FrameScore.class);
    assertThat(scored)
        .extracting(FrameScore::getFrameId)
        .doesNotHaveDuplicates()
        .containsExactlyInAnyOrderElementsOf(expectedScores.keySet());
    for (FrameScore s : scored) {
      assertThat(s.getScore())
          .as(s.getFrameId())
          .isCloseTo(
              expectedScores.get(s.getFrameId()),
              org.assertj.core.api.Assertions.within(1e-3 * (1 + s.getScore())));
    }
    List<Alert> alerted =
        decode(KAFKA.broker().readCommitted(alerts, expectedAlerts.size(), 30_000), Alert.class);
    assertThat(alerted)
        .extracting(Alert::getFrameId)
        .doesNotHaveDuplicates()
        .containsExactlyInAnyOrderElementsOf(expectedAlerts);
    // the detector is real: most defective frames alert, few normal ones do
    long defectiveAlerts =
        alerted.stream().filter(a -> isDefective(frames, a.getFrameId())).count();
    assertThat(defectiveAlerts).as("defective frames alerted").isGreaterThanOrEqualTo(5);
    assertThat(alerted.size() - defectiveAlerts).as("normal frames alerted").isLessThanOrEqualTo(3);
    assertThat(alerted)
        .allSatisfy(
            a -> {
              assertThat(a.getHeatmapPng()).isNotNull();
              assertThat(a.getRegions()).isNotEmpty();
              assertThat(a.getCalibratedScore()).isBetween(0.0, 1.0);
            });

    List<DeadLetter> deadLetters =
        decode(KAFKA.broker().readCommitted(dead, corrupt.size(), 30_000), DeadLetter.class);
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
              assertThat(d.getOriginTopic()).isEqualTo(in);
              assertThat(d.getRawValue()).isNotNull();
              assertThat(d.getReason()).isNotBlank();
            });
  }

  static boolean isDefective(List<SimulatedFrame> frames, String id) {
    return frames.stream()
        .filter(f -> ("frame-" + f.index()).equals(id))
        .findFirst()
        .orElseThrow()
        .defective();
  }

  static byte[] key(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static <T extends org.apache.avro.specific.SpecificRecord> List<T> decode(
      List<ConsumerRecord<byte[], byte[]>> records, Class<T> type) {
    return EmbeddedKafka.decode(records, type);
  }
}
