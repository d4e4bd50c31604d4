package io.tailwatch.tools;

import static org.assertj.core.api.Assertions.assertThat;

import io.tailwatch.detector.sim.ProductLineSimulator;
import io.tailwatch.flink.ingest.ClaimChecks;
import io.tailwatch.flink.testing.EmbeddedKafka;
import io.tailwatch.schemas.AvroSerdes;
import io.tailwatch.schemas.CameraFrame;
import io.tailwatch.schemas.HyperspectralCube;
import io.tailwatch.schemas.ImageEncoding;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code simulate} writes decodable frames with ground truth, and replays a folder, into a real
 * broker.
 */
class SimulateITCase {
  @Test
  void simulatesAndReplaysFramesIntoKafka(@TempDir Path dir) throws Exception {
    Path folder = Files.createDirectories(dir.resolve("replay/good"));
    ProductLineSimulator line = new ProductLineSimulator(2, 64, 0.5);
    for (int i = 0; i < 3; i++) {
      Files.write(folder.resolve("f" + i + ".png"), line.frame(i).png());
    }
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      kafka.createTopics(1, "sim", "replay", "claimed");
      assertThat(
              run(
                  "simulate",
                  "--bootstrap-servers",
                  kafka.bootstrapServers(),
                  "--topic",
                  "sim",
                  "--frames",
                  "12",
                  "--rate",
                  "200",
                  "--size",
                  "64",
                  "--defect-rate",
                  "0.5",
                  "--corrupt-every",
                  "5",
                  "--run-id",
                  "r1"))
          .isZero();
      assertThat(
              run(
                  "simulate",
                  "--bootstrap-servers",
                  kafka.bootstrapServers(),
                  "--topic",
                  "replay",
                  "--replay",
                  dir.resolve("replay").toString(),
                  "--rate",
                  "200",
                  "--run-id",
                  "r2"))
          .isZero();

      AvroSerdes<CameraFrame> serdes = AvroSerdes.forType(CameraFrame.class);
      List<ConsumerRecord<byte[], byte[]>> sim = kafka.readCommitted("sim", 14, 20_000);
      assertThat(sim).hasSize(14); // 12 frames + 2 corrupt records
      List<CameraFrame> frames = new ArrayList<>();
      int corrupt = 0;
      for (ConsumerRecord<byte[], byte[]> r : sim) {
        try {
          frames.add(serdes.decode(r.value()));
        } catch (io.tailwatch.schemas.AvroDecodeException e) {
          corrupt++;
        }
      }
      assertThat(corrupt).isEqualTo(2);
      assertThat(frames)
          .hasSize(12)
          .allSatisfy(
              f -> {
                assertThat(f.getFrameId()).startsWith("r1-");
                assertThat(f.getEncoding()).isEqualTo(ImageEncoding.PNG);
                assertThat(f.getWidth()).isEqualTo(64);
                assertThat(f.getAttributes()).containsKeys("sim.variant", "sim.defect");
              });
      assertThat(frames)
          .anySatisfy(f -> assertThat(f.getAttributes().get("sim.defect")).isNotEqualTo("none"));

      // frames above --inline-limit go by claim check, with their digest; without a folder it
      // is an error that says what to give
      Path claims = dir.resolve("claims");
      assertThat(
              run(
                  "simulate",
                  "--bootstrap-servers",
                  kafka.bootstrapServers(),
                  "--topic",
                  "claimed",
                  "--frames",
                  "3",
                  "--rate",
                  "200",
                  "--size",
                  "64",
                  "--inline-limit",
                  "1000",
                  "--claim-check-dir",
                  claims.toString(),
                  "--run-id",
                  "r3"))
          .isZero();
      for (ConsumerRecord<byte[], byte[]> r : kafka.readCommitted("claimed", 3, 20_000)) {
        CameraFrame f = serdes.decode(r.value());
        assertThat(f.getPayload()).isNull();
        Path file = Path.of(java.net.URI.create(f.getPayloadUri().toString()));
        assertThat(file.getParent()).isEqualTo(claims.toAbsolutePath());
        assertThat(f.getPayloadSha256()).isEqualTo(ClaimChecks.sha256Hex(Files.readAllBytes(file)));
      }
      assertThat(
              run(
                  "simulate",
                  "--bootstrap-servers",
                  kafka.bootstrapServers(),
                  "--topic",
                  "claimed",
                  "--frames",
                  "1",
                  "--inline-limit",
                  "1000"))
          .isNotZero();

      List<ConsumerRecord<byte[], byte[]>> replayed = kafka.readCommitted("replay", 3, 20_000);
      assertThat(replayed).hasSize(3);
      for (ConsumerRecord<byte[], byte[]> r : replayed) {
        CameraFrame f = serdes.decode(r.value());
        assertThat(f.getAttributes()).containsEntry("replay.folder", "good");
        assertThat(f.getChannels()).isEqualTo(1);
      }
    }
  }

  @Test
  void simulatesCubesInlineAndByClaimCheck(@TempDir Path dir) throws Exception {
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      kafka.createTopics(1, "cubes");
      // 16 x 16 x 8 uint16 = 4,096 bytes inline; the float64 run (16,384 bytes) goes above the
      // 10,000-byte limit
      assertThat(
              run(
                  "simulate-cubes",
                  "--bootstrap-servers",
                  kafka.bootstrapServers(),
                  "--topic",
                  "cubes",
                  "--cubes",
                  "4",
                  "--rate",
                  "100",
                  "--size",
                  "16x16x8",
                  "--inline-limit",
                  "10000"))
          .isZero();
      assertThat(
              run(
                  "simulate-cubes",
                  "--bootstrap-servers",
                  kafka.bootstrapServers(),
                  "--topic",
                  "cubes",
                  "--cubes",
                  "2",
                  "--rate",
                  "100",
                  "--size",
                  "16x16x8",
                  "--data-type",
                  "FLOAT64",
                  "--inline-limit",
                  "10000",
                  "--claim-check-dir",
                  dir.toString()))
          .isZero();
      assertThat(
              run(
                  "simulate-cubes",
                  "--bootstrap-servers",
                  kafka.bootstrapServers(),
                  "--topic",
                  "cubes",
                  "--cubes",
                  "1",
                  "--size",
                  "16x16x8",
                  "--data-type",
                  "FLOAT64",
                  "--inline-limit",
                  "10000"))
          .isNotZero();
      AvroSerdes<HyperspectralCube> serdes = AvroSerdes.forType(HyperspectralCube.class);
      List<HyperspectralCube> cubes = new ArrayList<>();
      for (ConsumerRecord<byte[], byte[]> r : kafka.readCommitted("cubes", 6, 20_000)) {
        cubes.add(serdes.decode(r.value()));
      }
      assertThat(cubes)
          .hasSize(6)
          .allSatisfy(
              c -> {
                assertThat(c.getLines() * c.getSamples() * c.getBands()).isEqualTo(16 * 16 * 8);
                assertThat(c.getAttributes()).containsKey("sim.target");
              });
      assertThat(cubes.subList(0, 4))
          .allSatisfy(c -> assertThat(c.getPayload().remaining()).isEqualTo(4096));
      assertThat(cubes.subList(4, 6))
          .allSatisfy(
              c -> {
                assertThat(c.getPayload()).isNull();
                Path file = Path.of(java.net.URI.create(c.getPayloadUri()));
                assertThat(Files.size(file)).isEqualTo(16 * 16 * 8 * 8);
                assertThat(c.getPayloadSha256())
                    .isEqualTo(ClaimChecks.sha256Hex(Files.readAllBytes(file)));
              });
    }
  }

  private static int run(String... args) {
    StringWriter err = new StringWriter();
    CommandLine cli = TailwatchCli.commandLine();
    cli.setErr(new PrintWriter(err, true));
    int rc = cli.execute(args);
    if (rc != 0) {
      System.err.println(err);
    }
    return rc;
  }
}
