package io.tailwatch.flink.inference;

import io.tailwatch.schemas.FrameScore;
import java.util.HashMap;
import java.util.Map;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;

/**
 * Per production line metrics, in a {@code line} group (a {@code line="<id>"} label in Prometheus): the score
 * distribution of the last 1,000 frames ({@code scoreMicros}: score x 10^6, as Flink histograms hold
 * integers; with quantiles), the threshold in force
 * ({@code threshold}), frames and alerts. Line ids come from senders, so past {@code maxLines} distinct ids
 * the rest share the group {@code line="_other"} instead of growing the metric registry without bound.
 */
final class LineMetrics {
  static final String OTHER = "_other";

  private final MetricGroup parent;
  private final int maxLines;
  private final Map<String, Line> lines = new HashMap<>();

  LineMetrics(MetricGroup parent, int maxLines) {
    this.parent = parent;
    this.maxLines = maxLines;
  }

  Line of(String lineId) {
    Line l = lines.get(lineId);
    if (l == null) {
      String name = lines.size() < maxLines ? lineId : OTHER;
      l = lines.computeIfAbsent(name, n -> new Line(parent.addGroup("line", n)));
    }
    return l;
  }

  int groups() {
    return lines.size();
  }

  static final class Line {
    private final Histogram score;
    private final Counter frames;
    private final Counter alerts;
    private volatile double threshold = Double.NaN;

    private Line(MetricGroup group) {
      score = group.histogram("scoreMicros", new DescriptiveStatisticsHistogram(1000));
      frames = group.counter("frames");
      alerts = group.counter("alerts");
      group.<Double, org.apache.flink.metrics.Gauge<Double>>gauge("threshold", () -> threshold);
    }

    void frame(FrameScore s) {
      frames.inc();
      score.update(Math.round(s.getScore() * 1e6));
      threshold = s.getThreshold();
      if (s.getAnomalous()) {
        alerts.inc();
      }
    }
  }
}
