package io.tailwatch.tools.viewer;

import static org.assertj.core.api.Assertions.assertThat;

import io.tailwatch.detector.image.FloatImage;
import io.tailwatch.detector.sim.ProductLineSimulator;
import io.tailwatch.flink.inference.HeatmapFormat;
import io.tailwatch.flink.testing.EmbeddedKafka;
import io.tailwatch.schemas.Alert;
import io.tailwatch.schemas.AvroSerdes;
import io.tailwatch.schemas.FrameScore;
import io.tailwatch.schemas.Modality;
import io.tailwatch.schemas.Region;
import io.tailwatch.schemas.ScoreStatistics;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The viewer end to end: alerts and scores produced into the in-process Kafka appear on the page in
 * a real headless browser, with the heatmap decoded and region boxes drawn; an alert that arrives
 * while the page is open shows up live; the line filter hides other lines; the histogram shows the
 * threshold, which a statistics snapshot moves. The screenshot is kept in {@code
 * tools/target/viewer/viewer.png}.
 */
class ViewerITCase {
  private static final int MAP = 32;
  private static final int FRAME = 96;

  @Test
  void alertsFromKafkaAppearInTheBrowserWithTheirHeatmap(@TempDir Path tmp) throws Exception {
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      kafka.createTopics(2, "alerts", "scores", "statistics");
      AvroSerdes<Alert> alerts = AvroSerdes.forType(Alert.class);
      AvroSerdes<FrameScore> scores = AvroSerdes.forType(FrameScore.class);
      for (int i = 0; i < 60; i++) {
        String line = i % 3 == 0 ? "line-2" : "line-1";
        kafka.send("scores", key(line), scores.encode(score("f" + i, line, 1.0 + (i % 10) * 0.1)));
      }
      kafka.send("alerts", key("line-1"), alerts.encode(alert("a1", "line-1", "cam-1", 2.5)));
      kafka.send("alerts", key("line-1"), alerts.encode(alert("a2", "line-1", "cam-2", 3.0)));
      kafka.send("alerts", key("line-1"), new byte[] {1, 2, 3}); // not an Alert: skipped, counted

      ViewerHub hub = new ViewerHub(200, 2000, 5000);
      try (ViewerFeed feed =
              new ViewerFeed(
                      kafka.bootstrapServers(),
                      new Properties(),
                      "alerts",
                      "scores",
                      "statistics",
                      true,
                      hub)
                  .start();
          ViewerServer server =
              new ViewerServer("127.0.0.1", 0, hub, feed::undecodable, feed::brokerConnected, 4)
                  .start()) {
        ChromeDriver browser = HeadlessChromium.start(tmp.resolve("chromium-profile"));
        try {
          browser.get("http://127.0.0.1:" + server.port() + "/");
          WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(30));
          wait.until(
              d -> d.findElements(By.cssSelector(".alert[data-heatmap-loaded]")).size() == 2);
          assertThat(browser.findElement(By.id("status")).getText()).isEqualTo("connected");

          // live: an alert produced while the page is open
          // (as the job sends it by default: the 8-bit gray map, which the page colours)
          kafka.send(
              "alerts",
              key("line-2"),
              alerts.encode(alert("a3", "line-2", "cam-1", 4.0, HeatmapFormat.MAP)));
          wait.until(
              d -> d.findElements(By.cssSelector(".alert[data-heatmap-loaded]")).size() == 3);
          WebElement newest = browser.findElements(By.cssSelector(".alert")).get(0);
          assertThat(newest.getAttribute("data-alert-id")).isEqualTo("a3");
          assertThat(newest.getAttribute("data-heatmap-loaded")).isEqualTo(FRAME + "x" + FRAME);
          assertThat(newest.findElements(By.cssSelector(".region"))).hasSize(1);
          assertThat(newest.getAttribute("data-heatmap-coloured")).isEqualTo("jet");
          // inside the hot square (map 1.0 = high) the canvas is red, outside it dark blue
          Object hot =
              browser.executeScript(
                  "const c = arguments[0].querySelector('canvas.heatmap');"
                      + " return Array.from(c.getContext('2d').getImageData(arguments[1], arguments[2], 1, 1).data);",
                  newest,
                  15 * FRAME / MAP,
                  11 * FRAME / MAP);
          assertThat(hot).asList().startsWith(128L, 0L, 0L);
          Object cold =
              browser.executeScript(
                  "const c = arguments[0].querySelector('canvas.heatmap');"
                      + " return Array.from(c.getContext('2d').getImageData(2, 2, 1, 1).data);",
                  newest);
          assertThat(cold).asList().startsWith(0L, 0L, 19L);
          assertThat(newest.getText()).contains("line-2 / cam-1", "score 4.000 > 2.000");

          // histograms: every score of each line, with that line's threshold
          wait.until(d -> "40".equals(histogram(d, "line-1").getAttribute("data-count")));
          assertThat(histogram(browser, "line-2").getAttribute("data-count")).isEqualTo("20");
          assertThat(histogram(browser, "line-1").getAttribute("data-threshold")).isEqualTo("2");

          // a statistics snapshot moves the line's threshold
          kafka.send(
              "statistics",
              key("line-2"),
              AvroSerdes.forType(ScoreStatistics.class).encode(statistics("line-2", 2.5)));
          wait.until(d -> "2.5".equals(histogram(d, "line-2").getAttribute("data-threshold")));
          assertThat(browser.findElements(By.cssSelector(".drift"))).isEmpty();

          // a drift record puts up a banner for its line; the record of its end takes it down
          ScoreStatistics drift = statistics("line-2", 2.5);
          drift.setDriftActive(true);
          drift.setDriftShare(0.42);
          drift.setDriftWindow(500);
          drift.setDriftSince(1234);
          drift.setDriftMedianScore(7.5);
          kafka.send(
              "statistics", key("line-2"), AvroSerdes.forType(ScoreStatistics.class).encode(drift));
          wait.until(d -> !d.findElements(By.id("drift-line-2")).isEmpty());
          assertThat(browser.findElement(By.id("drift-line-2")).getText())
              .contains("Line line-2 in drift: 42.0% of its last 500 frames alerted", "7.500");
          Files.write(
              Files.createDirectories(Path.of("target", "viewer")).resolve("viewer-drift.png"),
              browser.getScreenshotAs(OutputType.BYTES));
          kafka.send(
              "statistics",
              key("line-2"),
              AvroSerdes.forType(ScoreStatistics.class).encode(statistics("line-2", 2.5)));
          wait.until(d -> d.findElements(By.id("drift-line-2")).isEmpty());

          // filters
          new Select(browser.findElement(By.id("line-filter"))).selectByValue("line-2");
          assertThat(visibleAlertIds(browser)).containsExactly("a3");
          new Select(browser.findElement(By.id("line-filter"))).selectByValue("");
          new Select(browser.findElement(By.id("source-filter"))).selectByValue("cam-2");
          assertThat(visibleAlertIds(browser)).containsExactly("a2");
          new Select(browser.findElement(By.id("source-filter"))).selectByValue("");

          Path shots = Files.createDirectories(Path.of("target", "viewer"));
          Files.write(shots.resolve("viewer.png"), browser.getScreenshotAs(OutputType.BYTES));
          assertThat(feed.undecodable()).isEqualTo(1);
          assertThat(histogram(browser, "line-1").getAttribute("data-scale")).isEqualTo("log");
          assertThat(health(server.port())).isEqualTo(200);

          // the broker goes away: the page and /healthz say so instead of "connected"
          kafka.close();
          wait.until(d -> d.findElement(By.id("status")).getText().startsWith("disconnected"));
          assertThat(health(server.port())).isEqualTo(503);
          Files.write(
              shots.resolve("viewer-disconnected.png"), browser.getScreenshotAs(OutputType.BYTES));
        } finally {
          browser.quit();
        }
      }
    }
  }

  private static int health(int port) throws java.io.IOException {
    java.net.HttpURLConnection c =
        (java.net.HttpURLConnection)
            java.net.URI.create("http://127.0.0.1:" + port + "/healthz").toURL().openConnection();
    try {
      return c.getResponseCode();
    } finally {
      c.disconnect();
    }
  }

  private static WebElement histogram(org.openqa.selenium.WebDriver d, String line) {
    return d.findElement(By.cssSelector(".histogram[data-line='" + line + "']"));
  }

  private static List<String> visibleAlertIds(ChromeDriver browser) {
    return browser.findElements(By.cssSelector(".alert")).stream()
        .filter(WebElement::isDisplayed)
        .map(e -> e.getAttribute("data-alert-id"))
        .toList();
  }

  private static byte[] key(String line) {
    return line.getBytes(StandardCharsets.UTF_8);
  }

  private static ScoreStatistics statistics(String line, double threshold) {
    return ScoreStatistics.newBuilder()
        .setLineId(line)
        .setModality(Modality.CAMERA)
        .setSnapshotTime(Instant.now())
        .setCount(20)
        .setEffectiveCount(20)
        .setMedian(1.4)
        .setMad(0.2)
        .setP90(1.8)
        .setP99(1.9)
        .setSkewness(0.1)
        .setWeightMin(0.5)
        .setWeightMax(2)
        .setThreshold(threshold)
        .setAlertRate(0.01)
        .setBankVersion("bank-1")
        .build();
  }

  private static FrameScore score(String frame, String line, double score) {
    Instant now = Instant.now();
    return FrameScore.newBuilder()
        .setFrameId(frame)
        .setLineId(line)
        .setSourceId("cam-1")
        .setModality(Modality.CAMERA)
        .setCaptureTime(now)
        .setDetectTime(now)
        .setScore(score)
        .setThreshold(2.0)
        .setAnomalous(score > 2.0)
        .setBankVersion("bank-1")
        .setLatencyMs(5)
        .build();
  }

  static Alert alert(String id, String line, String source, double score) {
    return alert(id, line, source, score, HeatmapFormat.OVERLAY);
  }

  static Alert alert(String id, String line, String source, double score, HeatmapFormat format) {
    float[] map = new float[MAP * MAP];
    for (int y = 8; y < 16; y++) {
      for (int x = 12; x < 20; x++) {
        map[y * MAP + x] = 1f;
      }
    }
    // the heatmap over a simulated frame, as the job renders it (frame 96 px, map 32)
    FloatImage frame =
        new ProductLineSimulator(3, FRAME, 0).frame(id.hashCode() & 0xff).toFloatImage();
    byte[] png = format.render(frame, map, MAP, 0, 1);
    Instant now = Instant.now();
    return Alert.newBuilder()
        .setAlertId(id)
        .setFrameId("frame-" + id)
        .setLineId(line)
        .setSourceId(source)
        .setModality(Modality.CAMERA)
        .setCaptureTime(now.minusMillis(40))
        .setDetectTime(now)
        .setScore(score)
        .setThreshold(2.0)
        .setCalibratedScore(0.001)
        .setModelVersion("mobilenetv2-int8")
        .setBankVersion("bank-1")
        .setHeatmapPng(ByteBuffer.wrap(png))
        .setHeatmapFormat(format.wireName())
        .setHeatmapLow(0.0)
        .setHeatmapHigh(1.0)
        .setRegions(List.of(new Region(36, 24, 24, 24, 576, 1f)))
        .setAnomalousPixels(576L)
        .setLatencyMs(40)
        .build();
  }
}
