package io.tailwatch.flink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tailwatch.detector.sim.ProductLineSimulator;
import io.tailwatch.detector.testing.TinyBackbone;
import io.tailwatch.flink.config.InvalidConfigException;
import io.tailwatch.flink.config.JobConfig;
import io.tailwatch.flink.testing.EmbeddedKafka;
import io.tailwatch.flink.testing.TestJobs;
import io.tailwatch.flink.testing.TinyBank;
import java.nio.file.Path;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bank announcements are ordered only within a partition: the job refuses, when it is built, a
 * control topic with more than one partition or none at all, naming topics.control; a
 * single-partition one builds.
 */
class ControlTopicITCase {
  @Test
  void theControlTopicMustHaveExactlyOnePartition(@TempDir Path dir) throws Exception {
    Path model = TinyBackbone.write(dir, "tiny.onnx");
    Path bank = dir.resolve("bank.twb");
    TinyBank.fit(model, bank, new ProductLineSimulator(5, 64, 0.0));
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      kafka.createTopics(1, "in", "alerts", "scores", "dead", "control-1");
      kafka.createTopics(3, "control-3");
      assertThatThrownBy(() -> build(kafka, model, bank, "control-3"))
          .isInstanceOf(InvalidConfigException.class)
          .hasMessageStartingWith("topics.control: topic 'control-3' has 3 partitions")
          .hasMessageContaining("exactly one");
      assertThatThrownBy(() -> build(kafka, model, bank, "no-such-topic"))
          .isInstanceOf(InvalidConfigException.class)
          .hasMessageStartingWith("topics.control: topic 'no-such-topic' does not exist");
      assertThat(build(kafka, model, bank, "control-1").getStreamGraph().getStreamNodes())
          .isNotEmpty();
    }
  }

  static StreamExecutionEnvironment build(
      EmbeddedKafka kafka, Path model, Path bank, String control) throws Exception {
    JobConfig config =
        TestJobs.config(
            kafka.bootstrapServers(),
            "control-check",
            "in",
            "alerts",
            "scores",
            "dead",
            model,
            bank,
            "--topics.control",
            control);
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    TailwatchJob.build(env, config);
    return env;
  }
}
