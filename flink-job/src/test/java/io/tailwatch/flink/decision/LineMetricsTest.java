package io.tailwatch.flink.decision;

import static org.assertj.core.api.Assertions.assertThat;

import io.tailwatch.schemas.FrameScore;
import io.tailwatch.schemas.Modality;
import java.time.Instant;
import org.apache.flink.metrics.testutils.MetricListener;
import org.junit.jupiter.api.Test;

class LineMetricsTest {
  @Test
  void countsFramesAndAlertsAndKeepsScoresAndThresholdPerLine() {
    MetricListener listener = new MetricListener();
    LineMetrics metrics = new LineMetrics(listener.getMetricGroup(), 10);
    metrics.of("line-1").frame(score("line-1", 1.5, 2.0));
    metrics.of("line-1").frame(score("line-1", 2.5, 2.0));
    metrics.of("line-2").frame(score("line-2", 0.5, 0.75));

    assertThat(listener.getCounter("line", "line-1", "frames").orElseThrow().getCount())
        .isEqualTo(2);
    assertThat(listener.getCounter("line", "line-1", "alerts").orElseThrow().getCount())
        .isEqualTo(1);
    assertThat(listener.getCounter("line", "line-2", "alerts").orElseThrow().getCount()).isZero();
    assertThat(
            listener
                .getHistogram("line", "line-1", "scoreMicros")
                .orElseThrow()
                .getStatistics()
                .getMax())
        .isEqualTo(2_500_000);
    assertThat(listener.<Double>getGauge("line", "line-2", "threshold").orElseThrow().getValue())
        .isEqualTo(0.75);
  }

  @Test
  void linesPastTheCapShareOneGroup() {
    MetricListener listener = new MetricListener();
    LineMetrics metrics = new LineMetrics(listener.getMetricGroup(), 2);
    for (int i = 0; i < 50; i++) {
      metrics.of("line-" + i).frame(score("line-" + i, 1, 2));
    }
    assertThat(metrics.groups()).isEqualTo(3);
    assertThat(listener.getCounter("line", LineMetrics.OTHER, "frames").orElseThrow().getCount())
        .isEqualTo(48);
    assertThat(listener.getCounter("line", "line-1", "frames").orElseThrow().getCount())
        .isEqualTo(1);
  }

  @Test
  void perSourceScopesGetASourceGroupUnderTheirLineAndShareTheCap() {
    MetricListener listener = new MetricListener();
    LineMetrics metrics = new LineMetrics(listener.getMetricGroup(), 3);
    metrics.of("line-1", "cam-a").frame(score("line-1", 1.5, 2.0));
    metrics.of("line-1", "cam-b").frame(score("line-1", 2.5, 2.0));
    metrics.of("line-1", "cam-b").frame(score("line-1", 0.5, 2.0));
    metrics.of("line-2", "cam-a").frame(score("line-2", 3, 2.0));
    metrics.of("line-2", "cam-b").frame(score("line-2", 3, 2.0));
    metrics.of("line-3", "cam-a").frame(score("line-3", 3, 2.0));

    assertThat(
            listener
                .getCounter("line", "line-1", "source", "cam-a", "frames")
                .orElseThrow()
                .getCount())
        .isEqualTo(1);
    assertThat(
            listener
                .getCounter("line", "line-1", "source", "cam-b", "frames")
                .orElseThrow()
                .getCount())
        .isEqualTo(2);
    assertThat(
            listener
                .getCounter("line", "line-1", "source", "cam-b", "alerts")
                .orElseThrow()
                .getCount())
        .isEqualTo(1);
    assertThat(metrics.groups()).isEqualTo(4);
    assertThat(
            listener
                .getCounter("line", LineMetrics.OTHER, "source", LineMetrics.OTHER, "frames")
                .orElseThrow()
                .getCount())
        .isEqualTo(2);
  }

  private static FrameScore score(String line, double score, double threshold) {
    return FrameScore.newBuilder()
        .setFrameId("f")
        .setLineId(line)
        .setSourceId("cam")
        .setModality(Modality.CAMERA)
        .setCaptureTime(Instant.EPOCH)
        .setDetectTime(Instant.EPOCH)
        .setScore(score)
        .setThreshold(threshold)
        .setAnomalous(score > threshold)
        .setBankVersion("b")
        .setLatencyMs(1)
        .build();
  }
}
