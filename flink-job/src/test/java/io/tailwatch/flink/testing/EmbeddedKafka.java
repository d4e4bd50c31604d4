package io.tailwatch.flink.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.test.JaasUtils;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * An in-process single-node KRaft Kafka (Kafka's own test kit), for tests and the demo.
 * Transactions work with one broker because the transaction-state topic is created with replication
 * factor 1.
 */
public final class EmbeddedKafka implements AutoCloseable {
  private final KafkaClusterTestKit cluster;

  /** Security settings every client of this broker needs (empty for the plaintext broker). */
  private final Properties security;

  private EmbeddedKafka(KafkaClusterTestKit cluster, Properties security) {
    this.cluster = cluster;
    this.security = security;
  }

  public static EmbeddedKafka start() throws Exception {
    return new EmbeddedKafka(startCluster(new TestKitNodes.Builder(), Map.of()), new Properties());
  }

  /**
   * A broker whose cluster runs the given {@code transaction.version} feature level (1: classic
   * transactions, 2: KIP-890 server-side defence, where clients add partitions implicitly and bump
   * the epoch per transaction).
   */
  public static EmbeddedKafka startWithTransactionVersion(short transactionVersion)
      throws Exception {
    var bootstrap =
        org.apache.kafka.metadata.bootstrap.BootstrapMetadata.fromVersions(
            org.apache.kafka.server.common.MetadataVersion.latestProduction(),
            Map.of("transaction.version", transactionVersion),
            "tailwatch test");
    return new EmbeddedKafka(
        startCluster(new TestKitNodes.Builder(bootstrap), Map.of()), new Properties());
  }

  /**
   * A broker whose client listener takes SASL/SCRAM-SHA-256 only for {@code user} (PLAIN for the
   * test kit's own admin, which creates the SCRAM credential). {@code user} is a super user: the
   * test is about authentication and settings pass-through, not ACLs. {@link #clientSecurity()}
   * holds what a client needs.
   */
  public static EmbeddedKafka startWithScram(String user, String password) throws Exception {
    KafkaClusterTestKit cluster =
        startCluster(
            new TestKitNodes.Builder()
                .setBrokerSecurityProtocol(
                    org.apache.kafka.common.security.auth.SecurityProtocol.SASL_PLAINTEXT),
            Map.of(
                "sasl.enabled.mechanisms",
                "PLAIN,SCRAM-SHA-256",
                "super.users",
                "User:ANONYMOUS;User:" + JaasUtils.KAFKA_PLAIN_ADMIN + ";User:" + user));
    Properties plainAdmin = new Properties();
    plainAdmin.put("bootstrap.servers", cluster.bootstrapServers());
    plainAdmin.put("security.protocol", "SASL_PLAINTEXT");
    plainAdmin.put("sasl.mechanism", "PLAIN");
    plainAdmin.put(
        "sasl.jaas.config",
        "org.apache.kafka.common.security.plain.PlainLoginModule required username=\""
            + JaasUtils.KAFKA_PLAIN_ADMIN
            + "\" password=\""
            + JaasUtils.KAFKA_PLAIN_ADMIN_PASSWORD
            + "\";");
    try (Admin admin = Admin.create(plainAdmin)) {
      admin
          .alterUserScramCredentials(
              List.of(
                  new org.apache.kafka.clients.admin.UserScramCredentialUpsertion(
                      user,
                      new org.apache.kafka.clients.admin.ScramCredentialInfo(
                          org.apache.kafka.clients.admin.ScramMechanism.SCRAM_SHA_256, 4096),
                      password)))
          .all()
          .get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      cluster.close();
      throw e;
    }
    return new EmbeddedKafka(cluster, scramClient(user, password));
  }

  /** The client settings for SCRAM-SHA-256 as {@code user}. */
  public static Properties scramClient(String user, String password) {
    Properties p = new Properties();
    p.put("security.protocol", "SASL_PLAINTEXT");
    p.put("sasl.mechanism", "SCRAM-SHA-256");
    p.put(
        "sasl.jaas.config",
        "org.apache.kafka.common.security.scram.ScramLoginModule required username=\""
            + user
            + "\" password=\""
            + password
            + "\";");
    return p;
  }

  public Properties clientSecurity() {
    Properties p = new Properties();
    p.putAll(security);
    return p;
  }

  private static KafkaClusterTestKit startCluster(
      TestKitNodes.Builder nodes, Map<String, String> extra) throws Exception {
    KafkaClusterTestKit.Builder builder =
        new KafkaClusterTestKit.Builder(
                nodes.setCombined(true).setNumBrokerNodes(1).setNumControllerNodes(1).build())
            .setConfigProp("offsets.topic.replication.factor", "1")
            .setConfigProp("transaction.state.log.replication.factor", "1")
            .setConfigProp("transaction.state.log.min.isr", "1")
            .setConfigProp("group.initial.rebalance.delay.ms", "0")
            .setConfigProp("message.max.bytes", Integer.toString(20 * 1024 * 1024));
    extra.forEach(builder::setConfigProp);
    KafkaClusterTestKit cluster = builder.build();
    try {
      cluster.format();
      cluster.startup();
      cluster.waitForReadyBrokers();
    } catch (Exception e) {
      cluster.close();
      throw e;
    }
    return cluster;
  }

  public String bootstrapServers() {
    return cluster.bootstrapServers();
  }

  /**
   * Stops the broker, keeps it down for {@code down}, starts it again on the same port (the test
   * kit keeps its sockets pre-bound) and waits until it serves. The controller keeps running
   * (combined node).
   */
  public void restartBroker(java.time.Duration down) throws Exception {
    for (var broker : cluster.brokers().values()) {
      broker.shutdown();
      broker.awaitShutdown();
    }
    Thread.sleep(down.toMillis());
    for (var broker : cluster.brokers().values()) {
      broker.startup();
    }
    cluster.waitForReadyBrokers();
  }

  public void createTopics(int partitions, String... topics) throws Exception {
    Properties props = clientSecurity();
    props.put("bootstrap.servers", bootstrapServers());
    try (Admin admin = Admin.create(props)) {
      List<NewTopic> list = new ArrayList<>();
      for (String t : topics) {
        list.add(new NewTopic(t, partitions, (short) 1));
      }
      admin.createTopics(list).all().get(30, TimeUnit.SECONDS);
      awaitLeaders(admin, List.of(topics), partitions);
    }
  }

  /**
   * Waits until every partition has a leader. Writing to a topic the broker does not lead yet gets
   * NOT_LEADER_OR_FOLLOWER; an idempotent producer's retry of that first batch was seen to end in
   * an endless OUT_OF_ORDER_SEQUENCE_NUMBER loop until the batch expired, losing a test's first
   * input records.
   */
  private void awaitLeaders(Admin admin, List<String> topics, int partitions) throws Exception {
    long deadline = System.currentTimeMillis() + 30_000;
    while (true) {
      boolean ready = true;
      try {
        for (var d :
            admin.describeTopics(topics).allTopicNames().get(30, TimeUnit.SECONDS).values()) {
          for (var p : d.partitions()) {
            ready &= p.leader() != null && !p.leader().isEmpty();
          }
        }
      } catch (java.util.concurrent.ExecutionException e) {
        // a topic just created can be unknown to the broker's metadata for a moment (seen in CI
        // as UnknownTopicOrPartitionException): not yet ready, ask again
        if (!(e.getCause()
            instanceof org.apache.kafka.common.errors.UnknownTopicOrPartitionException)) {
          throw e;
        }
        ready = false;
      }
      // the metadata can name the leader before the broker's replica manager has taken the
      // partition on
      for (var broker : cluster.brokers().values()) {
        for (String t : topics) {
          for (int i = 0; i < partitions; i++) {
            var online =
                broker
                    .replicaManager()
                    .onlinePartition(new org.apache.kafka.common.TopicPartition(t, i));
            ready &= online.isDefined() && online.get().isLeader();
          }
        }
      }
      if (ready) {
        return;
      }
      if (System.currentTimeMillis() > deadline) {
        throw new IllegalStateException(
            "topics " + topics + " have partitions without a leader after 30 s");
      }
      Thread.sleep(50);
    }
  }

  /**
   * A producer for test input whose {@code close()} fails the test if any record could not be
   * written: a test that silently lost its own input would blame the job for the missing output.
   */
  public KafkaProducer<byte[], byte[]> producer() {
    Properties p = clientSecurity();
    p.put("bootstrap.servers", bootstrapServers());
    p.put("key.serializer", ByteArraySerializer.class.getName());
    p.put("value.serializer", ByteArraySerializer.class.getName());
    p.put("max.request.size", Integer.toString(20 * 1024 * 1024));
    p.put("enable.idempotence", "true");
    p.put("acks", "all");
    p.put(
        "delivery.timeout.ms", "45000"); // fail a stuck record in 45 s instead of the default 2 min
    return new CheckedProducer(p);
  }

  /** Counts failed sends; {@link #close()} flushes and throws when there were any. */
  static final class CheckedProducer extends KafkaProducer<byte[], byte[]> {
    private final java.util.concurrent.atomic.AtomicInteger failed =
        new java.util.concurrent.atomic.AtomicInteger();
    private final java.util.concurrent.atomic.AtomicReference<Exception> firstFailure =
        new java.util.concurrent.atomic.AtomicReference<>();

    CheckedProducer(Properties p) {
      super(p);
    }

    @Override
    public java.util.concurrent.Future<org.apache.kafka.clients.producer.RecordMetadata> send(
        ProducerRecord<byte[], byte[]> record,
        org.apache.kafka.clients.producer.Callback callback) {
      return super.send(
          record,
          (metadata, e) -> {
            if (e != null) {
              failed.incrementAndGet();
              firstFailure.compareAndSet(null, e);
            }
            if (callback != null) {
              callback.onCompletion(metadata, e);
            }
          });
    }

    @Override
    public void close() {
      try {
        flush();
      } finally {
        super.close();
      }
      if (failed.get() > 0) {
        throw new IllegalStateException(
            failed.get() + " test input record(s) could not be written to Kafka",
            firstFailure.get());
      }
    }
  }

  public void send(String topic, byte[] key, byte[] value) throws Exception {
    try (KafkaProducer<byte[], byte[]> producer = producer()) {
      producer.send(new ProducerRecord<>(topic, key, value)).get();
    }
  }

  /** A read_committed consumer: sees only what committed transactions wrote. */
  public KafkaConsumer<byte[], byte[]> committedConsumer(String group) {
    return new KafkaConsumer<>(consumerProperties(group, "read_committed"));
  }

  private Properties consumerProperties(String group, String isolation) {
    Properties p = clientSecurity();
    p.put("bootstrap.servers", bootstrapServers());
    p.put("group.id", group);
    p.put("auto.offset.reset", "earliest");
    p.put("isolation.level", isolation);
    p.put("enable.auto.commit", "false");
    p.put("key.deserializer", ByteArrayDeserializer.class.getName());
    p.put("value.deserializer", ByteArrayDeserializer.class.getName());
    p.put("max.partition.fetch.bytes", Integer.toString(20 * 1024 * 1024));
    return p;
  }

  /**
   * Everything in a topic, aborted transactions included (read_uncommitted), for failure
   * diagnostics.
   */
  public List<ConsumerRecord<byte[], byte[]>> readAll(String topic, long timeoutMs) {
    List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(
            consumerProperties("diagnostics-" + System.nanoTime(), "read_uncommitted"))) {
      consumer.subscribe(List.of(topic));
      long end = System.currentTimeMillis() + timeoutMs;
      while (System.currentTimeMillis() < end) {
        consumer.poll(java.time.Duration.ofMillis(200)).forEach(out::add);
      }
    }
    return out;
  }

  /** Reads committed records of a topic until {@code expected} arrived or the timeout passed. */
  public List<ConsumerRecord<byte[], byte[]>> readCommitted(
      String topic, int expected, long timeoutMs) {
    List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> consumer =
        committedConsumer("reader-" + System.nanoTime())) {
      consumer.subscribe(List.of(topic));
      long end = System.currentTimeMillis() + timeoutMs;
      while (System.currentTimeMillis() < end && out.size() < expected) {
        consumer.poll(java.time.Duration.ofMillis(200)).forEach(out::add);
      }
      // linger briefly: a duplicate would arrive right after the expected ones
      long linger = System.currentTimeMillis() + 500;
      while (System.currentTimeMillis() < linger) {
        consumer.poll(java.time.Duration.ofMillis(100)).forEach(out::add);
      }
    }
    return out;
  }

  /** Decodes Avro single-object records; an undecodable one fails the test with its offset. */
  public static <T extends org.apache.avro.specific.SpecificRecord> List<T> decode(
      List<ConsumerRecord<byte[], byte[]>> records, Class<T> type) {
    io.tailwatch.schemas.AvroSerdes<T> serdes = io.tailwatch.schemas.AvroSerdes.forType(type);
    List<T> out = new ArrayList<>(records.size());
    for (ConsumerRecord<byte[], byte[]> r : records) {
      try {
        out.add(serdes.decode(r.value()));
      } catch (io.tailwatch.schemas.AvroDecodeException e) {
        throw new AssertionError(
            "undecodable " + type.getSimpleName() + " at offset " + r.offset(), e);
      }
    }
    return out;
  }

  private boolean closed;

  /** Stops the broker; a second call does nothing (the test kit's own close is not idempotent). */
  @Override
  public synchronized void close() throws Exception {
    if (!closed) {
      closed = true;
      cluster.close();
    }
  }

  /**
   * One broker per test class, started before its first test and closed after its last:
   * {@code @RegisterExtension static final EmbeddedKafka.PerClass KAFKA = new
   * EmbeddedKafka.PerClass();}
   */
  public static final class PerClass implements BeforeAllCallback, AfterAllCallback {
    private EmbeddedKafka broker;

    public EmbeddedKafka broker() {
      return broker;
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
      broker = start();
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
      if (broker != null) {
        broker.close();
        broker = null;
      }
    }
  }
}
