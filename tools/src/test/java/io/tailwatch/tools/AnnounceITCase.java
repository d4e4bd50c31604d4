package io.tailwatch.tools;

import static org.assertj.core.api.Assertions.assertThat;

import io.tailwatch.detector.bank.MemoryBank;
import io.tailwatch.detector.testing.TestBanks;
import io.tailwatch.flink.testing.EmbeddedKafka;
import io.tailwatch.schemas.AvroSerdes;
import io.tailwatch.schemas.BankUpdate;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code announce} puts a checked bank's BankUpdate on the control topic; a corrupt bank is never
 * announced.
 */
class AnnounceITCase {
  @Test
  void announcesACheckedBankAndRefusesACorruptOne(@TempDir Path dir) throws Exception {
    Path bank = dir.resolve("line-1-v1.twb");
    MemoryBank.of(TestBanks.header(4), new float[] {1, 2, 3, 4, 5, 6, 7, 8}, 2).write(bank);
    Path corrupt = dir.resolve("corrupt.twb");
    byte[] bytes = Files.readAllBytes(bank);
    bytes[bytes.length - 1] ^= 0x40;
    Files.write(corrupt, bytes);
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      kafka.createTopics(1, "control");
      StringWriter err = new StringWriter();
      CommandLine cli = TailwatchCli.commandLine();
      cli.setErr(new PrintWriter(err, true));
      assertThat(
              cli.execute(
                  "announce",
                  "--bank",
                  corrupt.toString(),
                  "--control-topic",
                  "control",
                  "--bootstrap-servers",
                  kafka.bootstrapServers()))
          .isNotZero();
      assertThat(err.toString()).contains("corrupt.twb").contains("checksum");
      assertThat(
              TailwatchCli.commandLine()
                  .execute(
                      "announce",
                      "--bank",
                      bank.toString(),
                      "--control-topic",
                      "control",
                      "--bootstrap-servers",
                      kafka.bootstrapServers()))
          .isZero();

      List<ConsumerRecord<byte[], byte[]>> records = kafka.readCommitted("control", 1, 20_000);
      assertThat(records).hasSize(1);
      BankUpdate u = AvroSerdes.forType(BankUpdate.class).decode(records.get(0).value());
      MemoryBank loaded = MemoryBank.load(bank);
      assertThat(u.getBankVersion()).isEqualTo(loaded.header().bankVersion());
      assertThat(u.getSha256()).isEqualTo(loaded.header().bodySha256());
      assertThat(Path.of(java.net.URI.create(u.getBankUri())))
          .isEqualTo(bank.toAbsolutePath().normalize());
      assertThat(u.getReason()).isEqualTo("rollback");
      assertThat(u.getLineId()).isNull();
      assertThat(u.getCount()).isEqualTo(2);
    }
  }

  /** {@code bank accept-drift} puts the line's acceptance on the control topic, named and timed. */
  @Test
  void acceptDriftPutsARecordForTheLineOnTheControlTopic() throws Exception {
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      kafka.createTopics(1, "control");
      StringWriter err = new StringWriter();
      CommandLine cli = TailwatchCli.commandLine();
      cli.setErr(new PrintWriter(err, true));
      assertThat(cli.execute("bank", "accept-drift", "--control-topic", "control")).isEqualTo(2);
      assertThat(err.toString()).contains("--line");
      assertThat(
              TailwatchCli.commandLine()
                  .execute(
                      "bank",
                      "accept-drift",
                      "--line",
                      "line-7",
                      "--by",
                      "Ana Ops",
                      "--control-topic",
                      "control",
                      "--bootstrap-servers",
                      kafka.bootstrapServers()))
          .isZero();
      List<ConsumerRecord<byte[], byte[]>> records = kafka.readCommitted("control", 1, 20_000);
      assertThat(records).hasSize(1);
      BankUpdate u = AvroSerdes.forType(BankUpdate.class).decode(records.get(0).value());
      assertThat(u.getReason()).isEqualTo("accept-drift");
      assertThat(u.getLineId()).isEqualTo("line-7");
      assertThat(u.getBankVersion())
          .matches("accept-drift-line-7-\\d+-Ana_Ops")
          .endsWith("-Ana_Ops");
      assertThat(u.getBankUri()).isEmpty();
    }
  }
}
