package io.tailwatch.flink.decision;

import io.tailwatch.schemas.FrameScore;
import java.util.HashMap;
import java.util.Map;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;

/**
 * Per production line metrics, in a {@code line} group (a {@code line="<id>"} label in Prometheus):
 * the score distribution of the last 1,000 frames ({@code scoreMicros}: score x 10^6, as Flink
 * histograms hold integers; with quantiles), the threshold in force ({@code threshold}), frames and
 * alerts; with online statistics also {@code scoreSkewness}, {@code scoreMedian}, {@code
 * weightMin}, {@code weightMax}, {@code alertRate} (decayed) and {@code onlineThreshold} (1 once
 * the scope's own quantile is in force). Line ids come from senders, so past {@code maxLines}
 * distinct ids the rest share the group {@code line="_other"} instead of growing the metric
 * registry without bound. With per-source scopes ({@code statistics.per-source}) each line's group
 * has a {@code source} subgroup per source, counted against the same cap ({@code line="_other",
 * source="_other"} past it).
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
    return of(lineId, null);
  }

  /** The group of a line, or with a non-null {@code sourceId} of a line's source. */
  Line of(String lineId, String sourceId) {
    String key = sourceId == null ? lineId : lineId + '\u0000' + sourceId;
    Line l = lines.get(key);
    if (l == null) {
      boolean room = lines.size() < maxLines;
      String name = room ? key : sourceId == null ? OTHER : OTHER + '\u0000' + OTHER;
      l =
          lines.computeIfAbsent(
              name,
              n -> {
                MetricGroup line = parent.addGroup("line", room ? lineId : OTHER);
                return new Line(
                    sourceId == null ? line : line.addGroup("source", room ? sourceId : OTHER));
              });
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
    private volatile double skewness = Double.NaN;
    private volatile double weightMin = Double.NaN;
    private volatile double weightMax = Double.NaN;
    private volatile double alertRate = Double.NaN;
    private volatile double median = Double.NaN;
    private volatile int online;
    private volatile int driftActive;
    private volatile double driftShare = Double.NaN;

    private Line(MetricGroup group) {
      score = group.histogram("scoreMicros", new DescriptiveStatisticsHistogram(1000));
      frames = group.counter("frames");
      alerts = group.counter("alerts");
      group.<Double, org.apache.flink.metrics.Gauge<Double>>gauge("threshold", () -> threshold);
      group.<Double, org.apache.flink.metrics.Gauge<Double>>gauge("scoreSkewness", () -> skewness);
      group.<Double, org.apache.flink.metrics.Gauge<Double>>gauge("scoreMedian", () -> median);
      group.<Double, org.apache.flink.metrics.Gauge<Double>>gauge("weightMin", () -> weightMin);
      group.<Double, org.apache.flink.metrics.Gauge<Double>>gauge("weightMax", () -> weightMax);
      group.<Double, org.apache.flink.metrics.Gauge<Double>>gauge("alertRate", () -> alertRate);
      group.<Integer, org.apache.flink.metrics.Gauge<Integer>>gauge(
          "onlineThreshold", () -> online);
      group.<Integer, org.apache.flink.metrics.Gauge<Integer>>gauge(
          "driftActive", () -> driftActive);
      group.<Double, org.apache.flink.metrics.Gauge<Double>>gauge("driftShare", () -> driftShare);
    }

    /** The scope's online statistics after a frame (ALGORITHMS.md §6). */
    void statistics(io.tailwatch.detector.online.OnlineScoreStatistics s) {
      skewness = s.skewness();
      median = s.median();
      weightMin = s.weightMin();
      weightMax = s.weightMax();
      alertRate = s.alertRate();
      online = s.warmedUp() ? 1 : 0;
      io.tailwatch.detector.online.OnlineScoreStatistics.Drift d = s.drift();
      driftActive = d.active() ? 1 : 0;
      driftShare = d.share();
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
