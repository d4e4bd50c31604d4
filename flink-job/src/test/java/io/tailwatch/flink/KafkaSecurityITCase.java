package io.tailwatch.flink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tailwatch.detector.sim.ProductLineSimulator;
import io.tailwatch.detector.testing.TinyBackbone;
import io.tailwatch.flink.config.JobConfig;
import io.tailwatch.flink.testing.EmbeddedKafka;
import io.tailwatch.flink.testing.TestFrames;
import io.tailwatch.flink.testing.TestJobs;
import io.tailwatch.flink.testing.TinyBank;
import io.tailwatch.schemas.AvroSerdes;
import io.tailwatch.schemas.CameraFrame;
import io.tailwatch.schemas.DeadLetter;
import io.tailwatch.schemas.FrameScore;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The job against a broker that only lets SASL/SCRAM-SHA-256 clients in: the security settings come
 * from a properties file ({@code kafka.properties-file}) and reach the source and all three
 * exactly-once sinks; a client with a wrong password is refused, so the run proves the settings
 * were used.
 */
class KafkaSecurityITCase {
  @RegisterExtension
  static final MiniClusterExtension FLINK =
      new MiniClusterExtension(
          new MiniClusterResourceConfiguration.Builder()
              .setNumberTaskManagers(1)
              .setNumberSlotsPerTaskManager(2)
              .build());

  @Test
  void runsExactlyOnceOverSaslScram(@TempDir Path dir) throws Exception {
    try (EmbeddedKafka kafka = EmbeddedKafka.startWithScram("tailwatch", "s3cr3t-scram")) {
      Properties wrong = EmbeddedKafka.scramClient("tailwatch", "not-the-password");
      wrong.put("bootstrap.servers", kafka.bootstrapServers());
      wrong.put("default.api.timeout.ms", "5000");
      wrong.put("request.timeout.ms", "3000");
      try (Admin admin = Admin.create(wrong)) {
        assertThatThrownBy(() -> admin.listTopics().names().get())
            .hasRootCauseInstanceOf(
                org.apache.kafka.common.errors.SaslAuthenticationException.class);
      }

      Path model = TinyBackbone.write(dir, "tiny.onnx");
      Path bank = dir.resolve("bank.twb");
      ProductLineSimulator line = new ProductLineSimulator(5, 64, 0.0);
      TinyBank.fit(model, bank, line);
      kafka.createTopics(2, "frames", "alerts", "scores", "dead");
      AvroSerdes<CameraFrame> serdes = AvroSerdes.forType(CameraFrame.class);
      Set<String> ids = new TreeSet<>();
      for (int i = 0; i < 12; i++) {
        CameraFrame f =
            TestFrames.png(
                line.frame(
                    7000 + i,
                    ProductLineSimulator.Variant.BRUSHED,
                    i % 4 == 3 ? ProductLineSimulator.Defect.SPOT : null));
        kafka.send("frames", f.getFrameId().getBytes(StandardCharsets.UTF_8), serdes.encode(f));
        ids.add(f.getFrameId());
      }
      kafka.send("frames", "bad".getBytes(StandardCharsets.UTF_8), new byte[] {1, 2, 3});

      Path client = dir.resolve("client.properties");
      try (Writer w = Files.newBufferedWriter(client)) {
        kafka.clientSecurity().store(w, "SASL/SCRAM for the job");
      }
      JobConfig config =
          TestJobs.config(
              kafka.bootstrapServers(),
              "secure",
              "frames",
              "alerts",
              "scores",
              "dead",
              model,
              bank,
              "--kafka.properties-file",
              client.toString(),
              "--kafka.bounded",
              "true",
              "--batch.max-size",
              "4",
              "--checkpoint.interval",
              "300 ms",
              "--job.parallelism",
              "2");
      StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
      TailwatchJob.build(env, config);
      env.execute("sasl-scram");

      List<FrameScore> scores =
          TailwatchJobITCase.decode(
              kafka.readCommitted("scores", ids.size(), 30_000), FrameScore.class);
      assertThat(scores)
          .extracting(FrameScore::getFrameId)
          .doesNotHaveDuplicates()
          .containsExactlyInAnyOrderElementsOf(ids);
      List<DeadLetter> dead =
          TailwatchJobITCase.decode(kafka.readCommitted("dead", 1, 30_000), DeadLetter.class);
      assertThat(dead).hasSize(1);
    }
  }
}
