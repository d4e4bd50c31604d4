package io.tailwatch.tools;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The demo's local Flink cluster and its Kafka broker listen on 127.0.0.1 only, and the web UI
 * refuses jar uploads: every socket they open is read from /proc/net/tcp(6).
 */
class DemoBindingITCase {
  /** LISTEN sockets of this network namespace as "address:port" (hex, as the kernel prints). */
  static Set<String> listening() throws IOException {
    Set<String> out = new HashSet<>();
    for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
      Path p = Path.of(table);
      if (!Files.isReadable(p)) {
        continue;
      }
      List<String> lines = Files.readAllLines(p);
      for (String line : lines.subList(1, lines.size())) {
        String[] f = line.trim().split("\\s+");
        if (f[3].equals("0A")) { // TCP_LISTEN
          out.add(f[1]);
        }
      }
    }
    return out;
  }

  static boolean loopback(String hexAddressAndPort) {
    String address = hexAddressAndPort.substring(0, hexAddressAndPort.indexOf(':'));
    return address.equals("0100007F") // 127.0.0.1
        || address.equals("0000000000000000FFFF00000100007F") // ::ffff:127.0.0.1
        || address.equals("00000000000000000000000001000000"); // ::1
  }

  /**
   * The demo's Kafka broker, as the demo starts it: client and controller listeners on loopback.
   */
  @Test
  void theEmbeddedBrokerListensOnLoopbackOnly() throws Exception {
    Assumptions.assumeTrue(Files.isReadable(Path.of("/proc/net/tcp")), "needs /proc/net/tcp");
    Set<String> before = listening();
    String host = defaultBindHost(new DemoCommand());
    assertThat(host).isEqualTo("127.0.0.1");
    try (io.tailwatch.kafka.LocalKafka kafka = DemoCommand.startBroker(host)) {
      Set<String> opened = new HashSet<>(listening());
      opened.removeAll(before);
      assertThat(kafka.bootstrapServers()).startsWith("127.0.0.1:");
      assertThat(opened)
          .as("the broker's client and controller listeners")
          .hasSizeGreaterThanOrEqualTo(2)
          .allMatch(DemoBindingITCase::loopback);
    }
  }

  /** --bind-host's default, as picocli sets it. */
  static String defaultBindHost(DemoCommand d) {
    new picocli.CommandLine(d).parseArgs();
    return d.bindHost;
  }

  @Test
  void theLocalClusterListensOnLoopbackOnlyAndRefusesUploads() throws Exception {
    Assumptions.assumeTrue(Files.isReadable(Path.of("/proc/net/tcp")), "needs /proc/net/tcp");
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Set<String> before = listening();
    StreamExecutionEnvironment env =
        StreamExecutionEnvironment.createLocalEnvironmentWithWebUI(
            DemoCommand.localClusterConfiguration("127.0.0.1", port));
    env.fromSequence(0, Long.MAX_VALUE)
        .map(
            x -> {
              Thread.sleep(10);
              return x;
            })
        .print();
    JobClient job = env.executeAsync("binding");
    try {
      Set<String> opened = new HashSet<>();
      for (int i = 0; i < 50; i++) { // the web UI comes up with the cluster; give it a moment
        opened = new HashSet<>(listening());
        opened.removeAll(before);
        if (opened.stream().anyMatch(a -> a.endsWith(":" + String.format("%04X", port)))) {
          break;
        }
        Thread.sleep(200);
      }
      assertThat(opened)
          .as("the web UI's port is among the sockets the cluster opened")
          .anyMatch(a -> a.endsWith(":" + String.format("%04X", port)));
      assertThat(opened)
          .as("every socket the cluster opened")
          .allMatch(DemoBindingITCase::loopback);

      HttpURLConnection upload =
          (HttpURLConnection)
              URI.create("http://127.0.0.1:" + port + "/jars/upload").toURL().openConnection();
      upload.setRequestMethod("POST");
      upload.setDoOutput(true);
      upload.getOutputStream().close();
      assertThat(upload.getResponseCode()).as("jar upload through the web UI").isNotEqualTo(200);
      HttpURLConnection config =
          (HttpURLConnection)
              URI.create("http://127.0.0.1:" + port + "/config").toURL().openConnection();
      String body = new String(config.getInputStream().readAllBytes());
      assertThat(body).contains("\"web-submit\":false");
    } finally {
      job.cancel().get();
    }
  }
}
