package io.tailwatch.flink.testing;

import io.tailwatch.flink.config.JobConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The job configuration the ITCases share: one run id for group and transactions, four topics, a
 * CPU detector.
 */
public final class TestJobs {
  private TestJobs() {}

  /**
   * @param runId consumer group and transactional-id prefix
   * @param extra further {@code --key value} pairs (bounded, batching, checkpoint interval,
   *     parallelism, ...)
   */
  public static JobConfig config(
      String bootstrapServers,
      String runId,
      String frames,
      String alerts,
      String scores,
      String deadLetters,
      Path backbone,
      Path bank,
      String... extra)
      throws IOException {
    List<String> args =
        new ArrayList<>(
            List.of(
                "--kafka.bootstrap-servers",
                bootstrapServers,
                "--kafka.group-id",
                runId,
                "--kafka.transactional-id-prefix",
                runId,
                "--topics.frames",
                frames,
                "--topics.alerts",
                alerts,
                "--topics.scores",
                scores,
                "--topics.dead-letters",
                deadLetters,
                "--detector.backbone",
                backbone.toString(),
                "--detector.bank",
                bank.toString(),
                "--detector.device",
                "cpu",
                "--detector.threads",
                "1"));
    args.addAll(List.of(extra));
    return JobConfig.fromArgs(args.toArray(String[]::new));
  }
}
