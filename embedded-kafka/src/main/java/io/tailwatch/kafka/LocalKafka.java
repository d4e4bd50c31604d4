package io.tailwatch.kafka;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.Feature;
import org.apache.kafka.server.common.MetadataVersion;

/**
 * A single-node Kafka (KRaft, broker and controller in one process) for the demo and the stream
 * bench: Kafka's own {@link KafkaRaftServer}, its log directory formatted the way {@code
 * kafka-storage.sh format --standalone} does, every listener bound to one address (127.0.0.1 by
 * default; Kafka's test kit pre-binds its sockets on the wildcard address, reachable from the
 * network). Transactions work: the internal topics are created with replication factor 1.
 */
public final class LocalKafka implements AutoCloseable {
  /** Records up to this size (frames inline in the demo). */
  public static final int MAX_MESSAGE_BYTES = 20 * 1024 * 1024;

  private final KafkaRaftServer server;
  private final Path logDir;
  private final String bootstrapServers;
  private boolean closed;

  private LocalKafka(KafkaRaftServer server, Path logDir, String bootstrapServers) {
    this.server = server;
    this.logDir = logDir;
    this.bootstrapServers = bootstrapServers;
  }

  /** A broker on 127.0.0.1, its data in a temporary folder removed on close. */
  public static LocalKafka start() throws Exception {
    return start("127.0.0.1");
  }

  /**
   * A broker whose listeners (client and controller) are bound to {@code host} only, on free ports.
   */
  public static LocalKafka start(String host) throws Exception {
    InetAddress address = InetAddress.getByName(host);
    Path logDir = Files.createTempDirectory("tailwatch-kafka-");
    try {
      int[] ports = freePorts(address, 2);
      int brokerPort = ports[0];
      int controllerPort = ports[1];
      String listen = host.contains(":") ? "[" + host + "]" : host;
      // a wildcard bind is announced under this machine's name (clients cannot dial 0.0.0.0); the
      // controller is dialled by the broker in the same process, over loopback then
      String advertised =
          address.isAnyLocalAddress() ? InetAddress.getLocalHost().getCanonicalHostName() : listen;
      String controllerHost = address.isAnyLocalAddress() ? "127.0.0.1" : listen;
      Properties p = new Properties();
      p.put("process.roles", "broker,controller");
      p.put("node.id", "1");
      p.put("controller.quorum.bootstrap.servers", controllerHost + ":" + controllerPort);
      p.put(
          "listeners",
          "PLAINTEXT://"
              + listen
              + ":"
              + brokerPort
              + ",CONTROLLER://"
              + listen
              + ":"
              + controllerPort);
      p.put("advertised.listeners", "PLAINTEXT://" + advertised + ":" + brokerPort);
      p.put("controller.listener.names", "CONTROLLER");
      p.put("inter.broker.listener.name", "PLAINTEXT");
      p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
      p.put("log.dirs", logDir.toString());
      p.put("num.partitions", "1");
      p.put("offsets.topic.replication.factor", "1");
      p.put("offsets.topic.num.partitions", "4");
      p.put("transaction.state.log.replication.factor", "1");
      p.put("transaction.state.log.min.isr", "1");
      p.put("transaction.state.log.num.partitions", "4");
      p.put("share.coordinator.state.topic.replication.factor", "1");
      p.put("share.coordinator.state.topic.min.isr", "1");
      p.put("group.initial.rebalance.delay.ms", "0");
      p.put("message.max.bytes", Integer.toString(MAX_MESSAGE_BYTES));
      p.put("auto.create.topics.enable", "false");
      KafkaConfig config = KafkaConfig.fromProps(p, false);

      Formatter formatter =
          new Formatter()
              .setPrintStream(new PrintStream(PrintStream.nullOutputStream()))
              .setSupportedFeatures(Feature.PRODUCTION_FEATURES)
              .setClusterId(Uuid.randomUuid().toString())
              .setNodeId(1)
              .setDirectories(List.of(logDir.toString()))
              .setMetadataLogDirectory(logDir.toString())
              .setReleaseVersion(MetadataVersion.latestProduction())
              .setControllerListenerName("CONTROLLER")
              .setHasDynamicQuorum(true)
              .setFeatureLevel("kraft.version", (short) 1)
              .setInitialControllers(
                  org.apache.kafka.raft.DynamicVoters.parse(
                      "1@" + controllerHost + ":" + controllerPort + ":" + Uuid.randomUuid()));
      formatter.run();

      KafkaRaftServer server = new KafkaRaftServer(config, Time.SYSTEM);
      server.startup();
      LocalKafka kafka = new LocalKafka(server, logDir, advertised + ":" + brokerPort);
      try {
        kafka.awaitReady(60_000);
      } catch (Exception e) {
        kafka.close();
        throw e;
      }
      return kafka;
    } catch (Exception e) {
      deleteQuietly(logDir);
      throw e;
    }
  }

  public String bootstrapServers() {
    return bootstrapServers;
  }

  /** Waits until the broker answers metadata requests and has registered itself. */
  private void awaitReady(long timeoutMs) throws Exception {
    Properties p = new Properties();
    p.put("bootstrap.servers", bootstrapServers);
    long deadline = System.currentTimeMillis() + timeoutMs;
    try (Admin admin = Admin.create(p)) {
      while (true) {
        try {
          if (!admin.describeCluster().nodes().get(5, TimeUnit.SECONDS).isEmpty()) {
            return;
          }
        } catch (java.util.concurrent.ExecutionException
            | java.util.concurrent.TimeoutException e) {
          if (System.currentTimeMillis() > deadline) {
            throw new IllegalStateException(
                "the local Kafka broker on " + bootstrapServers + " did not become ready", e);
          }
        }
        Thread.sleep(100);
      }
    }
  }

  /**
   * A free port on {@code address}: bound and released. Another process could take it in between;
   * the broker then fails to start, loudly.
   */
  static int freePort(InetAddress address) throws IOException {
    return freePorts(address, 1)[0];
  }

  /**
   * {@code n} different free ports: all held open together before any is released, since two
   * sockets bound and released one after the other may be given the same port (which once failed a
   * CI run: "two listeners on the same port").
   */
  static int[] freePorts(InetAddress address, int n) throws IOException {
    ServerSocket[] sockets = new ServerSocket[n];
    try {
      int[] ports = new int[n];
      for (int i = 0; i < n; i++) {
        sockets[i] = new ServerSocket();
        sockets[i].setReuseAddress(true);
        sockets[i].bind(new InetSocketAddress(address, 0));
        ports[i] = sockets[i].getLocalPort();
      }
      return ports;
    } finally {
      for (ServerSocket s : sockets) {
        if (s != null) {
          s.close();
        }
      }
    }
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      server.shutdown();
      server.awaitShutdown();
    } finally {
      deleteQuietly(logDir);
    }
  }

  private static void deleteQuietly(Path dir) {
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException | UncheckedIOException e) {
      // a temporary folder: left for the OS to clean
    }
  }
}
