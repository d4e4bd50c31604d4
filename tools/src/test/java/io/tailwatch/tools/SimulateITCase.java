package io.tailwatch.tools;

import static org.assertj.core.api.Assertions.assertThat;

import io.tailwatch.detector.sim.ProductLineSimulator;
import io.tailwatch.flink.testing.EmbeddedKafka;
import io.tailwatch.schemas.AvroSerdes;
import io.tailwatch.schemas.CameraFrame;
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

/** {@code simulate} writes decodable frames with ground truth, and replays a folder, into a real broker. */
class SimulateITCase {
  @Test
  void simulatesAndReplaysFramesIntoKafka(@TempDir Path dir) throws Exception {
    Path folder = Files.createDirectories(dir.resolve("replay/good"));
    ProductLineSimulator line = new ProductLineSimulator(2, 64, 0.5);
    for (int i = 0; i < 3; i++) {
      Files.write(folder.resolve("f" + i + ".png"), line.frame(i).png());
    }
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      kafka.createTopics(1, "sim", "replay");
      assertThat(run("simulate", "--bootstrap-servers", kafka.bootstrapServers(), "--topic", "sim", "--frames", "12",
          "--rate", "200", "--size", "64", "--defect-rate", "0.5", "--corrupt-every", "5", "--run-id", "r1")).isZero();
      assertThat(run("simulate", "--bootstrap-servers", kafka.bootstrapServers(), "--topic", "replay", "--replay",
          dir.resolve("replay").toString(), "--rate", "200", "--run-id", "r2")).isZero();

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
      assertThat(frames).hasSize(12).allSatisfy(f -> {
        assertThat(f.getFrameId()).startsWith("r1-");
        assertThat(f.getEncoding()).isEqualTo(ImageEncoding.PNG);
        assertThat(f.getWidth()).isEqualTo(64);
        assertThat(f.getAttributes()).containsKeys("sim.variant", "sim.defect");
      });
      assertThat(frames).anySatisfy(f -> assertThat(f.getAttributes().get("sim.defect")).isNotEqualTo("none"));

      List<ConsumerRecord<byte[], byte[]>> replayed = kafka.readCommitted("replay", 3, 20_000);
      assertThat(replayed).hasSize(3);
      for (ConsumerRecord<byte[], byte[]> r : replayed) {
        CameraFrame f = serdes.decode(r.value());
        assertThat(f.getAttributes()).containsEntry("replay.folder", "good");
        assertThat(f.getChannels()).isEqualTo(1);
      }
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
