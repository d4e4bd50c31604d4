package io.tailwatch.tools;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tailwatch.detector.testing.SharedFixtures;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The README's demo command in a short mode: embedded Kafka, local Flink with the web UI,
 * simulator, the real MobileNetV2 backbone. Checks the summary: every frame scored once, every
 * corrupt record dead-lettered, the detector separates defective from normal frames.
 */
class DemoITCase {
  @Test
  void shortDemoScoresEveryFrameOnceAndSeparatesDefects(@TempDir Path dir) throws Exception {
    Path modelDir = SharedFixtures.modelFile("mobilenetv2-12-int8-features.onnx").getParent();
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Path summary = dir.resolve("summary.json");
    java.util.Set<Path> demoTempBefore = demoTempFolders();
    StringWriter err = new StringWriter();
    CommandLine cli = TailwatchCli.commandLine();
    cli.setErr(new PrintWriter(err, true));
    int rc =
        cli.execute(
            "demo",
            "--frames",
            "100",
            "--rate",
            "8",
            "--train",
            "60",
            "--corrupt-every",
            "30",
            "--model-dir",
            modelDir.toString(),
            "--web-ui-port",
            Integer.toString(port),
            "--quiet",
            "--summary-json",
            summary.toString(),
            "--timeout",
            "240");
    assertThat(rc).as(err.toString()).isZero();
    JsonNode s = new ObjectMapper().readTree(summary.toFile());
    assertThat(s.get("complete").asBoolean()).isTrue();
    assertThat(s.get("scored").asLong()).isEqualTo(100);
    assertThat(s.get("duplicates").asLong()).isZero();
    assertThat(s.get("corrupt").asLong()).isEqualTo(3);
    assertThat(s.get("deadLetters").asLong()).isEqualTo(3);
    assertThat(s.get("imageAuroc").asDouble()).as("image AUROC").isGreaterThanOrEqualTo(0.9);
    assertThat(s.get("recall").asDouble()).isGreaterThan(0.8);
    // the largest alert record the run wrote: a heatmap of at most 256 pixels, small by
    // construction
    assertThat(s.get("largestAlertBytes").asLong()).isPositive().isLessThan(64 * 1024);
    assertThat(demoTempFolders())
        .as("the demo's temporary folders are removed")
        .isEqualTo(demoTempBefore);
  }

  private static java.util.Set<Path> demoTempFolders() throws java.io.IOException {
    try (var s = java.nio.file.Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
      return s.filter(p -> p.getFileName().toString().startsWith("tailwatch-demo-"))
          .collect(java.util.stream.Collectors.toSet());
    }
  }

  @Test
  void runsAgainstAnExternalKafkaAndKeepsRunsApart(@TempDir Path dir) throws Exception {
    Path modelDir = SharedFixtures.modelFile("mobilenetv2-12-int8-features.onnx").getParent();
    try (io.tailwatch.flink.testing.EmbeddedKafka kafka =
        io.tailwatch.flink.testing.EmbeddedKafka.start()) {
      for (int run = 0;
          run < 2;
          run++) { // the second run finds the topics and the first run's records there
        Path summary = dir.resolve("summary-" + run + ".json");
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
          port = s.getLocalPort();
        }
        StringWriter err = new StringWriter();
        CommandLine cli = TailwatchCli.commandLine();
        cli.setErr(new PrintWriter(err, true));
        int rc =
            cli.execute(
                "demo",
                "--bootstrap-servers",
                kafka.bootstrapServers(),
                "--frames",
                "30",
                "--rate",
                "10",
                "--train",
                "30",
                "--corrupt-every",
                "0",
                "--model-dir",
                modelDir.toString(),
                "--web-ui-port",
                Integer.toString(port),
                "--quiet",
                "--summary-json",
                summary.toString(),
                "--timeout",
                "120");
        assertThat(rc).as(err.toString()).isZero();
        JsonNode s = new ObjectMapper().readTree(summary.toFile());
        assertThat(s.get("scored").asLong()).as("run " + run).isEqualTo(30);
        assertThat(s.get("duplicates").asLong()).isZero();
        assertThat(s.get("deadLetters").asLong()).isZero();
      }
    }
  }
}
