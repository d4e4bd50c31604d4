package io.tailwatch.tools;

import io.tailwatch.detector.bank.MemoryBank;
import io.tailwatch.schemas.BankUpdate;
import io.tailwatch.schemas.Modality;
import java.nio.file.Path;
import java.time.Instant;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.producer.RecordMetadata;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code announce}: tells a running job to swap to a bank file (roll forward or back) via the
 * control topic.
 */
@Command(
    name = "announce",
    mixinStandardHelpOptions = true,
    description =
        "Announce a bank on the job's control topic (topics.control): every scoring subtask swaps to it "
            + "between batches, and the bank builder builds its next version on it. The file is checked (checksum) "
            + "before anything is sent; it must be readable at the same path by every task manager.")
final class AnnounceCommand implements Callable<Integer> {
  @Option(names = "--bank", required = true, description = "The bank file (.twb) to swap to.")
  Path bank;

  @Option(names = "--control-topic", required = true, description = "The job's topics.control.")
  String topic;

  @Option(
      names = "--reason",
      defaultValue = "rollback",
      description = "Recorded with the announcement. " + "Default: ${DEFAULT-VALUE}.")
  String reason;

  @Option(
      names = "--bootstrap-servers",
      defaultValue = "localhost:9092",
      description = "Default: ${DEFAULT-VALUE}.")
  String bootstrapServers;

  @Option(
      names = "--kafka-properties",
      description =
          "Kafka client settings file (security.protocol, sasl.*, "
              + "ssl.*), the same file the job's kafka.properties-file reads.")
  String kafkaProperties;

  /** The announcement for a bank file, after loading it (magic, sizes, body checksum). */
  static BankUpdate announcement(Path bank, String reason) throws Exception {
    MemoryBank b = MemoryBank.load(bank);
    return BankUpdate.newBuilder()
        .setBankVersion(b.header().bankVersion())
        .setModelVersion(b.header().backbone().id())
        .setLineId(null)
        .setModality(Modality.CAMERA)
        .setBankUri(bank.toAbsolutePath().normalize().toUri().toString())
        .setSha256(b.header().bodySha256())
        .setBackboneId(b.header().backbone().id())
        .setDimension(b.dim())
        .setCount(b.count())
        .setCreatedAt(Instant.now())
        .setReason(reason)
        .build();
  }

  @Override
  public Integer call() throws Exception {
    BankUpdate u = announcement(bank, reason);
    RecordMetadata m = ControlTopic.send(bootstrapServers, kafkaProperties, topic, u);
    System.out.printf(
        "announced bank %s (%d x %d, sha256 %s) on %s partition %d offset %d%n",
        u.getBankVersion(),
        u.getCount(),
        u.getDimension(),
        u.getSha256(),
        topic,
        m.partition(),
        m.offset());
    return 0;
  }
}
