package io.tailwatch.tools;

import io.tailwatch.flink.config.KafkaClientProperties;
import io.tailwatch.tools.viewer.ViewerFeed;
import io.tailwatch.tools.viewer.ViewerHub;
import io.tailwatch.tools.viewer.ViewerServer;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code viewer}: a live alert page served from this process, fed from the job's output topics. */
@Command(
    name = "viewer",
    mixinStandardHelpOptions = true,
    description =
        "Serve a live alert viewer: alerts with their heatmap over the frame and anomalous regions, "
            + "filters by line and source, per-line score histograms with the current threshold. Reads the alert, "
            + "score and statistics topics (read_committed) and pushes them to the page as server-sent events.")
final class ViewerCommand implements Callable<Integer> {
  /**
   * Live events a page may fall behind before it is dropped (its browser reconnects and gets the
   * replay).
   */
  static final int MAX_BEHIND = 1000;

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

  @Option(
      names = "--alerts-topic",
      defaultValue = "tailwatch.alerts",
      description = "Default: ${DEFAULT-VALUE}.")
  String alertsTopic;

  @Option(
      names = "--scores-topic",
      defaultValue = "tailwatch.scores",
      description = "Per-frame scores for the histograms; empty = none. Default: ${DEFAULT-VALUE}.")
  String scoresTopic;

  @Option(
      names = "--statistics-topic",
      defaultValue = "",
      description = "Score statistics snapshots (thresholds); empty = none (default).")
  String statisticsTopic;

  @Option(
      names = "--host",
      defaultValue = "127.0.0.1",
      description = "Address to listen on (0.0.0.0 in a container). Default: ${DEFAULT-VALUE}.")
  String host;

  @Option(
      names = "--port",
      defaultValue = "8088",
      description = "0 = any free port. Default: ${DEFAULT-VALUE}.")
  int port;

  @Option(
      names = "--from",
      defaultValue = "latest",
      description =
          "latest: what arrives from now on; earliest: replay what the topics hold. Default: ${DEFAULT-VALUE}.")
  String from;

  @Option(
      names = "--keep-alerts",
      defaultValue = "200",
      description = "Recent alerts replayed to a page that opens. Default: ${DEFAULT-VALUE}.")
  int keepAlerts;

  @Option(
      names = "--keep-scores",
      defaultValue = "2000",
      description = "Recent scores replayed to a page that opens. Default: ${DEFAULT-VALUE}.")
  int keepScores;

  @Option(
      names = "--max-pages",
      defaultValue = "32",
      description = "Pages open at once, at most. Default: ${DEFAULT-VALUE}.")
  int maxPages;

  @Override
  public Integer call() throws Exception {
    String mode = from.toLowerCase(Locale.ROOT);
    if (!mode.equals("latest") && !mode.equals("earliest")) {
      throw new IllegalArgumentException("--from must be latest or earliest, got '" + from + "'");
    }
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("--port must be in 0..65535, got " + port);
    }
    if (keepAlerts < 1 || keepScores < 0 || maxPages < 1) {
      throw new IllegalArgumentException(
          "--keep-alerts and --max-pages must be >= 1, --keep-scores >= 0");
    }
    Properties client = KafkaClientProperties.load(kafkaProperties);
    ViewerHub hub = new ViewerHub(keepAlerts, keepScores, MAX_BEHIND);
    try (ViewerFeed feed =
            new ViewerFeed(
                    bootstrapServers,
                    client,
                    alertsTopic,
                    scoresTopic,
                    statisticsTopic,
                    mode.equals("earliest"),
                    hub)
                .start();
        ViewerServer server =
            new ViewerServer(host, port, hub, feed::undecodable, feed::brokerConnected, maxPages)
                .start()) {
      System.out.printf(
          "tailwatch viewer on http://%s:%d/ (alerts: %s, scores: %s), Ctrl-C to stop%n",
          host, server.port(), alertsTopic, scoresTopic.isBlank() ? "-" : scoresTopic);
      CountDownLatch stop = new CountDownLatch(1);
      Runtime.getRuntime().addShutdownHook(new Thread(stop::countDown));
      stop.await();
    }
    return 0;
  }
}
