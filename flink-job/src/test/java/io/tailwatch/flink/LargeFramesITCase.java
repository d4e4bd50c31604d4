package io.tailwatch.flink;

import static org.assertj.core.api.Assertions.assertThat;

import io.tailwatch.detector.sim.ProductLineSimulator;
import io.tailwatch.detector.testing.TinyBackbone;
import io.tailwatch.flink.config.JobConfig;
import io.tailwatch.flink.inference.Verdicts;
import io.tailwatch.flink.ingest.ClaimCheckWriter;
import io.tailwatch.flink.ingest.ClaimChecks;
import io.tailwatch.flink.sink.RecordBudget;
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
import io.tailwatch.schemas.PixelFormat;
import io.tailwatch.schemas.Region;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
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
 * Real camera sizes through the real job and broker: 2448 x 2048 frames (5 megapixels) in mono
 * 8-bit inline, mono 16-bit and RGB by claim check, all alerting; a 5 MB garbage record; a claim
 * check whose object no longer matches its sha256; a claim check to a missing file. Every frame is
 * scored, every alert stays far under the producers' 1 MiB request with its region boxes in frame
 * pixels, each bad record becomes one small dead letter, and the bounded job finishes: no record it
 * writes can fail the transaction and restart it.
 */
class LargeFramesITCase {
  static final int W = 2448;
  static final int H = 2048;

  @RegisterExtension
  static final MiniClusterExtension FLINK =
      new MiniClusterExtension(
          new MiniClusterResourceConfiguration.Builder()
              .setNumberTaskManagers(1)
              .setNumberSlotsPerTaskManager(1)
              .build());

  /** Stripes with noise, a bright 40 x 40 square: the tiny bank scores it above any threshold. */
  static byte[] pixels(int bytesPerPixel, long seed) {
    Random r = new Random(seed);
    byte[] px = new byte[W * H * bytesPerPixel];
    for (int y = 0; y < H; y++) {
      for (int x = 0; x < W; x++) {
        boolean square = x >= 1200 && x < 1240 && y >= 900 && y < 940;
        int v = square ? 255 : 100 + (int) (40 * Math.sin((x + y) * 0.05)) + r.nextInt(8);
        for (int b = 0; b < bytesPerPixel; b++) {
          px[(y * W + x) * bytesPerPixel + b] = (byte) v;
        }
      }
    }
    return px;
  }

  @Test
  void megapixelFramesAreScoredAndNoRecordOutgrowsTheProducer(@TempDir Path dir) throws Exception {
    Path model = TinyBackbone.write(dir, "tiny.onnx");
    Path bankFile = dir.resolve("bank.twb");
    TinyBank.fit(model, bankFile, new ProductLineSimulator(5, 64, 0.0));
    Path claims = Files.createDirectories(dir.resolve("claims"));
    AvroSerdes<CameraFrame> serdes = AvroSerdes.forType(CameraFrame.class);
    byte[] gray16 = pixels(2, 2);
    byte[] rgb = pixels(3, 3);
    ClaimCheckWriter writer = new ClaimCheckWriter(claims.toString());
    ClaimCheckWriter.Written gray16Ref = writer.write("gray16.raw", gray16);
    ClaimCheckWriter.Written rgbRef = writer.write("rgb.raw", rgb);
    ClaimCheckWriter.Written mono8Ref = writer.write("mono8.raw", pixels(1, 1));
    // a claim check whose object changed after the record was made: its digest no longer matches
    ClaimCheckWriter.Written tampered = writer.write("tampered.raw", pixels(1, 1));
    byte[] changed = pixels(1, 1);
    changed[12345] ^= 1;
    Files.write(claims.resolve("tampered.raw"), changed);
    byte[] garbage = new byte[5 * 1024 * 1024];
    new Random(5).nextBytes(garbage);
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      kafka.createTopics(1, "in", "alerts", "scores", "dead");
      try (KafkaProducer<byte[], byte[]> producer = kafka.producer()) {
        send(
            producer,
            "mono8",
            serdes.encode(
                TestFrames.builder("mono8", W, H)
                    .setPayload(ByteBuffer.wrap(pixels(1, 1)))
                    .build()));
        send(
            producer,
            "mono8-claimed",
            serdes.encode(
                TestFrames.builder("mono8-claimed", W, H)
                    .setPayloadUri(mono8Ref.uri())
                    .setPayloadSha256(mono8Ref.sha256())
                    .build()));
        send(
            producer,
            "mono16",
            serdes.encode(
                TestFrames.builder("mono16", W, H)
                    .setPixelFormat(PixelFormat.GRAY16)
                    .setPayloadUri(gray16Ref.uri())
                    .setPayloadSha256(gray16Ref.sha256())
                    .build()));
        send(
            producer,
            "rgb",
            serdes.encode(
                TestFrames.builder("rgb", W, H)
                    .setChannels(3)
                    .setPixelFormat(PixelFormat.RGB8)
                    .setPayloadUri(rgbRef.uri())
                    .setPayloadSha256(rgbRef.sha256())
                    .build()));
        send(producer, "garbage", garbage);
        send(
            producer,
            "missing",
            serdes.encode(
                TestFrames.builder("missing", W, H)
                    .setPayloadUri(claims.resolve("gone.raw").toUri().toString())
                    .setPayloadSha256(gray16Ref.sha256())
                    .build()));
        send(
            producer,
            "tampered",
            serdes.encode(
                TestFrames.builder("tampered", W, H)
                    .setPayloadUri(tampered.uri())
                    .setPayloadSha256(tampered.sha256())
                    .build()));
      }

      JobConfig config =
          TestJobs.config(
              kafka.bootstrapServers(),
              "large-frames",
              "in",
              "alerts",
              "scores",
              "dead",
              model,
              bankFile,
              "--kafka.bounded",
              "true",
              "--detector.threshold",
              "1e-6",
              "--claim-check.root",
              claims.toString(),
              "--alerts.heatmap.full-resolution",
              "true",
              "--checkpoint.interval",
              "500 ms",
              "--job.parallelism",
              "1");
      StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
      TailwatchJob.build(env, config);
      env.execute("large frames"); // bounded: returns once every record is through

      List<FrameScore> scores =
          EmbeddedKafka.decode(kafka.readCommitted("scores", 4, 30_000), FrameScore.class);
      assertThat(scores)
          .extracting(s -> s.getFrameId().toString())
          .containsExactlyInAnyOrder("mono8", "mono8-claimed", "mono16", "rgb");

      List<ConsumerRecord<byte[], byte[]>> alertRecords = kafka.readCommitted("alerts", 4, 30_000);
      long cap =
          RecordBudget.alertBound(
              true,
              io.tailwatch.flink.inference.Verdicts.DEFAULT_HEATMAP_MAX_SIDE,
              io.tailwatch.flink.inference.HeatmapFormat.MAP);
      assertThat(alertRecords).hasSize(4);
      for (ConsumerRecord<byte[], byte[]> r : alertRecords) {
        assertThat((long) r.value().length).as("alert record bytes").isLessThanOrEqualTo(cap);
      }
      assertThat(alertRecords)
          .as("an alert of a 5-megapixel frame with the default 8-bit map fits 64 KiB")
          .allSatisfy(r -> assertThat(r.value().length).isLessThan(64 * 1024));
      for (Alert a : EmbeddedKafka.decode(alertRecords, Alert.class)) {
        assertThat(a.getHeatmapFormat().toString()).isEqualTo("map");
        // the map at the frame's resolution lies beside the claim checks, named with its digest
        Path full = Path.of(java.net.URI.create(a.getHeatmapFullUri().toString()));
        assertThat(full.getParent()).isEqualTo(claims.resolve("heatmaps"));
        byte[] fullPng = Files.readAllBytes(full);
        assertThat(a.getHeatmapFullSha256().toString()).isEqualTo(ClaimChecks.sha256Hex(fullPng));
        java.awt.image.BufferedImage fullMap =
            javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(fullPng));
        assertThat(fullMap.getWidth()).isEqualTo(W);
        assertThat(fullMap.getHeight()).isEqualTo(H);
        java.awt.image.BufferedImage heatmap =
            javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(a.getHeatmapPng().array()));
        assertThat(heatmap.getRaster().getNumBands()).isEqualTo(1);
        assertThat(Math.max(heatmap.getWidth(), heatmap.getHeight())).isEqualTo(256);
        assertThat(a.getFrameWidth()).isEqualTo(W);
        assertThat(a.getFrameHeight()).isEqualTo(H);
        assertThat(a.getRegions())
            .isNotEmpty()
            .hasSizeLessThanOrEqualTo(Verdicts.MAX_ALERT_REGIONS);
        for (Region g : a.getRegions()) {
          assertThat(g.getX() + g.getWidth()).isLessThanOrEqualTo(W);
          assertThat(g.getY() + g.getHeight()).isLessThanOrEqualTo(H);
        }
      }

      List<ConsumerRecord<byte[], byte[]>> letterRecords = kafka.readCommitted("dead", 3, 30_000);
      assertThat(letterRecords).hasSize(3);
      Map<String, DeadLetter> letters =
          EmbeddedKafka.decode(letterRecords, DeadLetter.class).stream()
              .collect(
                  Collectors.toMap(
                      d -> new String(d.getKey().array(), StandardCharsets.UTF_8),
                      Function.identity()));
      DeadLetter big = letters.get("garbage");
      assertThat(big.getReasonCode()).isEqualTo(DeadLetterReason.UNDECODABLE);
      assertThat(big.getRawSize()).isEqualTo(garbage.length);
      assertThat(big.getRawTruncated()).isTrue();
      assertThat(letterRecords).allSatisfy(r -> assertThat(r.value().length).isLessThan(70 * 1024));
      assertThat(letters.get("missing").getReasonCode())
          .isEqualTo(DeadLetterReason.CLAIM_CHECK_UNREADABLE);
      assertThat(letters.get("tampered").getReasonCode())
          .isEqualTo(DeadLetterReason.CLAIM_CHECK_UNREADABLE);
      assertThat(letters.get("tampered").getReason().toString())
          .contains("sha256 is " + ClaimChecks.sha256Hex(changed))
          .contains("payloadSha256 says " + tampered.sha256());
    }
  }

  private static void send(KafkaProducer<byte[], byte[]> producer, String key, byte[] value) {
    producer.send(new ProducerRecord<>("in", key.getBytes(StandardCharsets.UTF_8), value));
  }
}
