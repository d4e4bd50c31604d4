package io.tailwatch.tools;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tailwatch.detector.sim.ProductLineSimulator;
import io.tailwatch.detector.testing.TinyBackbone;
import io.tailwatch.flink.TailwatchJob;
import io.tailwatch.flink.config.JobConfig;
import io.tailwatch.flink.testing.EmbeddedKafka;
import io.tailwatch.flink.testing.TestFrames;
import io.tailwatch.flink.testing.TestJobs;
import io.tailwatch.flink.testing.TinyBank;
import io.tailwatch.schemas.AvroSerdes;
import io.tailwatch.schemas.CameraFrame;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The job on a local cluster with Flink's Prometheus reporter (as the demo's --prometheus-port and
 * the deploy config set it up): the scrape holds the job's metrics with line, bank and model
 * labels, and every metric the Grafana dashboard in deploy/grafana queries is in it, so the
 * dashboard cannot drift from the code.
 */
class PrometheusMetricsITCase {
  static final Path DASHBOARD = Path.of("..", "deploy", "grafana", "dashboards", "tailwatch.json");
  private static final Pattern METRIC = Pattern.compile("\\bflink_[A-Za-z0-9_]+");

  @Test
  void theScrapeHoldsEveryMetricTheDashboardQueries(@TempDir Path dir) throws Exception {
    Path model = TinyBackbone.write(dir, "tiny.onnx");
    Path bank = dir.resolve("bank.twb");
    ProductLineSimulator sim = new ProductLineSimulator(5, 64, 0.0);
    TinyBank.fit(model, bank, sim);
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      kafka.createTopics(1, "frames", "alerts", "scores", "dead");
      AvroSerdes<CameraFrame> serdes = AvroSerdes.forType(CameraFrame.class);
      int frames = 24;
      for (int i = 0; i < frames; i++) {
        CameraFrame f =
            TestFrames.png(
                sim.frame(
                    2000 + i,
                    ProductLineSimulator.Variant.BRUSHED,
                    i % 4 == 3 ? ProductLineSimulator.Defect.SCRATCH : null));
        f = CameraFrame.newBuilder(f).setLineId(i % 2 == 0 ? "line-a" : "line-b").build();
        kafka.send("frames", f.getFrameId().getBytes(StandardCharsets.UTF_8), serdes.encode(f));
      }
      kafka.send("frames", null, new byte[] {9, 9, 9}); // a dead letter, for the dead-letter panels

      int port;
      try (ServerSocket s = new ServerSocket(0)) {
        port = s.getLocalPort();
      }
      JobConfig config =
          TestJobs.config(
              kafka.bootstrapServers(),
              "prom",
              "frames",
              "alerts",
              "scores",
              "dead",
              model,
              bank,
              "--batch.max-size",
              "4",
              "--batch.max-wait",
              "20 ms",
              "--checkpoint.interval",
              "300 ms",
              "--job.parallelism",
              "1");
      StreamExecutionEnvironment env =
          StreamExecutionEnvironment.createLocalEnvironment(
              PrometheusReporting.enable(new Configuration(), port));
      TailwatchJob.build(env, config);
      JobClient job = env.executeAsync("prometheus-it");
      try {
        assertThat(kafka.readCommitted("scores", frames, 120_000)).hasSize(frames);
        assertThat(kafka.readCommitted("dead", 1, 30_000)).hasSize(1);
        String scrape = scrapeUntil(port, "line_frames", Duration.ofSeconds(30));
        Path out = Files.createDirectories(Path.of("target", "prometheus"));
        Files.writeString(out.resolve("scrape.txt"), scrape);

        Set<String> scraped = names(scrape);
        assertThat(scrape).contains("line=\"line_a\"", "line=\"line_b\"", "bank=\"it_bank\"");
        Set<String> queried = dashboardMetrics();
        assertThat(queried).as("the dashboard queries metrics").hasSizeGreaterThan(10);
        assertThat(scraped)
            .as("metrics the dashboard (%s) queries", DASHBOARD)
            .containsAll(queried);
      } finally {
        job.cancel().get();
      }
    }
  }

  /** Metric names of a Prometheus text exposition, with summary suffixes removed. */
  static Set<String> names(String scrape) {
    Set<String> names = new TreeSet<>();
    for (String line : scrape.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      int end = line.indexOf('{');
      if (end < 0) {
        end = line.indexOf(' ');
      }
      names.add(line.substring(0, end));
    }
    return names;
  }

  static Set<String> dashboardMetrics() throws Exception {
    JsonNode dashboard = new ObjectMapper().readTree(DASHBOARD.toFile());
    List<String> exprs = new ArrayList<>();
    dashboard.findValues("expr").forEach(e -> exprs.add(e.asText()));
    dashboard.findValues("query").forEach(e -> exprs.add(e.asText()));
    Set<String> metrics = new TreeSet<>();
    for (String expr : exprs) {
      Matcher m = METRIC.matcher(expr);
      while (m.find()) {
        metrics.add(m.group());
      }
    }
    return metrics;
  }

  private static String scrapeUntil(int port, String needle, Duration timeout) throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    long deadline = System.nanoTime() + timeout.toNanos();
    String body = "";
    while (System.nanoTime() < deadline) {
      body =
          http.send(
                  HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/metrics"))
                      .build(),
                  HttpResponse.BodyHandlers.ofString())
              .body();
      if (body.contains(needle)) {
        return body;
      }
      Thread.sleep(500);
    }
    return body;
  }
}
