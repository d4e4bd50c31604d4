package io.tailwatch.tools;

import io.tailwatch.flink.adapt.Adaptation;
import io.tailwatch.schemas.BankUpdate;
import io.tailwatch.schemas.Modality;
import java.time.Instant;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.producer.RecordMetadata;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code bank}: operator commands about a running job's banks and statistics. */
@Command(
    name = "bank",
    mixinStandardHelpOptions = true,
    description = "Operator commands for a running job's banks and line statistics.",
    subcommands = {BankCommand.AcceptDrift.class})
final class BankCommand implements Runnable {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /**
   * {@code bank accept-drift}: a control record by which the job takes what a line in drift
   * produces now as its normal.
   */
  @Command(
      name = "accept-drift",
      mixinStandardHelpOptions = true,
      description =
          "Accept a line's drift (a new look that is normal: new lighting, a new variant): a record on "
              + "the job's control topic (topics.control) after which that line's statistics warm up again on what it "
              + "produces now (threshold from the calibrated one, bounded by threshold.max-factor) and its frames are "
              + "bank-update candidates meanwhile, alerting or not. The record stays on the topic as the log of "
              + "the decision; its version names it.")
  static final class AcceptDrift implements Callable<Integer> {
    @Option(names = "--line", required = true, description = "The line id whose drift to accept.")
    String line;

    @Option(names = "--control-topic", required = true, description = "The job's topics.control.")
    String topic;

    @Option(
        names = "--by",
        defaultValue = "${sys:user.name}",
        description = "Who accepts, recorded in the version. Default: the user name.")
    String by;

    @Option(
        names = "--bootstrap-servers",
        defaultValue = "localhost:9092",
        description = "Default: ${DEFAULT-VALUE}.")
    String bootstrapServers;

    @Option(
        names = "--kafka-properties",
        description =
            "Kafka client settings file (security.protocol, sasl.*, ssl.*), the same file the job's "
                + "kafka.properties-file reads.")
    String kafkaProperties;

    /** The control record: no bank, the line, the reason, a version naming line, time and who. */
    static BankUpdate record(String line, String by, Instant at) {
      if (line == null || line.isBlank()) {
        throw new IllegalArgumentException("--line must name a line id");
      }
      String who = by == null || by.isBlank() ? "unknown" : by.replaceAll("[^A-Za-z0-9._-]", "_");
      return BankUpdate.newBuilder()
          .setBankVersion(
              String.format(Locale.ROOT, "accept-drift-%s-%d-%s", line, at.toEpochMilli(), who))
          .setModelVersion("")
          .setLineId(line)
          .setModality(Modality.CAMERA)
          .setBankUri("")
          .setSha256("")
          .setBackboneId("")
          .setDimension(0)
          .setCount(0)
          .setCreatedAt(at)
          .setReason(Adaptation.ACCEPT_DRIFT)
          .build();
    }

    @Override
    public Integer call() throws Exception {
      BankUpdate u = record(line, by, Instant.now());
      RecordMetadata m = ControlTopic.send(bootstrapServers, kafkaProperties, topic, u);
      System.out.printf(
          "drift of line %s accepted (%s) on %s partition %d offset %d%n",
          line, u.getBankVersion(), topic, m.partition(), m.offset());
      return 0;
    }
  }
}
