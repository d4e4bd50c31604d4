package io.tailwatch.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The local broker listens on the loopback interface only (every socket it opens is read from
 * /proc/net/tcp), takes large records, and runs transactions: a committed transaction is visible to
 * a read_committed consumer, an aborted one is not.
 */
class LocalKafkaTest {
  @Test
  void freePortsAreDifferentPortsEvenWhenTheSystemWouldReuseOne() throws Exception {
    int[] ports = LocalKafka.freePorts(java.net.InetAddress.getLoopbackAddress(), 64);
    Set<Integer> distinct = new HashSet<>();
    for (int p : ports) {
      distinct.add(p);
    }
    // the broker's and the controller's listener must never share a port
    assertThat(distinct).hasSize(64);
  }

  /** LISTEN sockets of this network namespace as "address:port" (hex, as the kernel prints). */
  static Set<String> listening() throws Exception {
    Set<String> out = new HashSet<>();
    for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
      Path p = Path.of(table);
      if (!Files.isReadable(p)) {
        continue;
      }
      List<String> lines = Files.readAllLines(p);
      for (String line : lines.subList(1, lines.size())) {
        String[] f = line.trim().split("\\s+");
        if (f[3].equals("0A")) {
          out.add(f[1]);
        }
      }
    }
    return out;
  }

  @Test
  void listensOnLoopbackOnlyAndRunsTransactions() throws Exception {
    Assumptions.assumeTrue(Files.isReadable(Path.of("/proc/net/tcp")), "needs /proc/net/tcp");
    Set<String> before = listening();
    try (LocalKafka kafka = LocalKafka.start()) {
      assertThat(kafka.bootstrapServers()).startsWith("127.0.0.1:");
      Set<String> opened = new HashSet<>(listening());
      opened.removeAll(before);
      String port = kafka.bootstrapServers().substring(kafka.bootstrapServers().indexOf(':') + 1);
      assertThat(opened)
          .as("the client listener is among the sockets the broker opened")
          .anyMatch(a -> a.endsWith(":" + String.format("%04X", Integer.parseInt(port))));
      assertThat(opened)
          .as("every socket the broker opened (client and controller listeners)")
          .hasSizeGreaterThanOrEqualTo(2)
          .allMatch(
              a ->
                  a.startsWith("0100007F:") // 127.0.0.1
                      || a.startsWith("0000000000000000FFFF00000100007F:")); // ::ffff:127.0.0.1

      Properties common = new Properties();
      common.put("bootstrap.servers", kafka.bootstrapServers());
      try (Admin admin = Admin.create(common)) {
        admin.createTopics(List.of(new NewTopic("t", 1, (short) 1))).all().get();
      }
      Properties pp = new Properties();
      pp.putAll(common);
      pp.put("key.serializer", StringSerializer.class.getName());
      pp.put("value.serializer", StringSerializer.class.getName());
      pp.put("transactional.id", "local-kafka-test");
      pp.put("max.request.size", Integer.toString(LocalKafka.MAX_MESSAGE_BYTES));
      String big = "x".repeat(5 * 1024 * 1024);
      try (KafkaProducer<String, String> producer = new KafkaProducer<>(pp)) {
        producer.initTransactions();
        producer.beginTransaction();
        producer.send(new ProducerRecord<>("t", "k", "aborted"));
        producer.abortTransaction();
        producer.beginTransaction();
        producer.send(new ProducerRecord<>("t", "k", "committed"));
        producer.send(new ProducerRecord<>("t", "k", big));
        producer.commitTransaction();
      }
      Properties cp = new Properties();
      cp.putAll(common);
      cp.put("key.deserializer", StringDeserializer.class.getName());
      cp.put("value.deserializer", StringDeserializer.class.getName());
      cp.put("isolation.level", "read_committed");
      cp.put("group.id", "g");
      cp.put("auto.offset.reset", "earliest");
      cp.put("max.partition.fetch.bytes", Integer.toString(LocalKafka.MAX_MESSAGE_BYTES));
      List<String> values = new ArrayList<>();
      try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(cp)) {
        consumer.subscribe(List.of("t"));
        long deadline = System.currentTimeMillis() + 30_000;
        while (values.size() < 2 && System.currentTimeMillis() < deadline) {
          for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
            values.add(r.value().length() > 100 ? "big " + r.value().length() : r.value());
          }
        }
      }
      assertThat(values).containsExactly("committed", "big " + big.length());
    }
    assertThat(listening()).as("its sockets are closed with it").isSubsetOf(before);
  }
}
