package io.tailwatch.tools;

import io.tailwatch.detector.metrics.BinaryScores;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/** The numbers the demo ends with. */
record DemoSummary(
    long sent,
    long corrupt,
    long scored,
    long duplicates,
    long alerts,
    long largestAlertBytes,
    long deadLetters,
    boolean complete,
    double framesPerSecond,
    long latencyP50,
    long latencyP99,
    long visibleP50,
    long visibleP99,
    double imageAuroc,
    double recall,
    double falseAlarmRate,
    Map<String, double[]> perVariant) {

  static DemoSummary of(
      List<DemoWatcher.Scored> scored,
      long sent,
      long corrupt,
      long duplicates,
      long alerts,
      long largestAlertBytes,
      long deadLetters,
      boolean complete) {
    int n = scored.size();
    long[] latency = scored.stream().mapToLong(DemoWatcher.Scored::latencyMs).sorted().toArray();
    long[] visible = scored.stream().mapToLong(DemoWatcher.Scored::visibleMs).sorted().toArray();
    long first = scored.stream().mapToLong(DemoWatcher.Scored::captureMs).min().orElse(0);
    long last = scored.stream().mapToLong(DemoWatcher.Scored::detectMs).max().orElse(0);
    double fps = n > 1 && last > first ? n / ((last - first) / 1000.0) : Double.NaN;
    double[] scores = scored.stream().mapToDouble(DemoWatcher.Scored::score).toArray();
    boolean[] labels = new boolean[n];
    int positives = 0;
    int truePositives = 0;
    int negatives = 0;
    int falsePositives = 0;
    Map<String, double[]> perVariant = new TreeMap<>(); // variant -> {normal frames, false alarms}
    for (int i = 0; i < n; i++) {
      DemoWatcher.Scored s = scored.get(i);
      labels[i] = s.defective();
      if (s.defective()) {
        positives++;
        truePositives += s.anomalous() ? 1 : 0;
      } else {
        negatives++;
        falsePositives += s.anomalous() ? 1 : 0;
        double[] v = perVariant.computeIfAbsent(s.variant(), k -> new double[2]);
        v[0]++;
        v[1] += s.anomalous() ? 1 : 0;
      }
    }
    double auroc =
        positives > 0 && negatives > 0 ? BinaryScores.of(scores, labels).auroc() : Double.NaN;
    return new DemoSummary(
        sent,
        corrupt,
        n,
        duplicates,
        alerts,
        largestAlertBytes,
        deadLetters,
        complete,
        fps,
        pct(latency, 0.5),
        pct(latency, 0.99),
        pct(visible, 0.5),
        pct(visible, 0.99),
        auroc,
        positives == 0 ? Double.NaN : (double) truePositives / positives,
        negatives == 0 ? Double.NaN : (double) falsePositives / negatives,
        perVariant);
  }

  static long pct(long[] sorted, double q) {
    if (sorted.length == 0) {
      return -1;
    }
    return sorted[Math.min(sorted.length - 1, (int) Math.ceil(q * sorted.length) - 1)];
  }

  String render() {
    StringBuilder sb = new StringBuilder();
    sb.append(
        String.format(
            Locale.ROOT,
            "%n== tailwatch demo summary%s ==%n",
            complete ? "" : " (INCOMPLETE: timed out)"));
    sb.append(
        String.format(
            Locale.ROOT,
            "frames: %d sent, %d scored, %d duplicates; %d corrupt records sent, "
                + "%d dead letters%n",
            sent,
            scored,
            duplicates,
            corrupt,
            deadLetters));
    sb.append(
        String.format(
            Locale.ROOT,
            "throughput: %.1f frames/s (first capture to last detection)%n",
            framesPerSecond));
    sb.append(
        String.format(
            Locale.ROOT,
            "latency capture->detect: p50 %d ms, p99 %d ms; capture->visible to a "
                + "read_committed consumer (includes the checkpoint wait): p50 %d ms, p99 %d ms%n",
            latencyP50,
            latencyP99,
            visibleP50,
            visibleP99));
    sb.append(
        String.format(
            Locale.ROOT,
            "alerts: %d (largest record %,d bytes); image AUROC vs simulator ground truth %.4f;"
                + " at the calibrated threshold: recall %.3f, false-alarm rate %.3f%n",
            alerts,
            largestAlertBytes,
            imageAuroc,
            recall,
            falseAlarmRate));
    sb.append("false alarms per product variant (normal frames):");
    perVariant.forEach(
        (variant, v) ->
            sb.append(String.format(Locale.ROOT, " %s %d/%d", variant, (long) v[1], (long) v[0])));
    return sb.append('\n').toString();
  }

  String json() {
    StringBuilder variants = new StringBuilder();
    perVariant.forEach(
        (k, v) ->
            variants
                .append(variants.length() == 0 ? "" : ", ")
                .append(
                    String.format(
                        Locale.ROOT,
                        "\"%s\": {\"normal\": %d, \"falseAlarms\": %d}",
                        k,
                        (long) v[0],
                        (long) v[1])));
    return String.format(
        Locale.ROOT,
        "{\"sent\": %d, \"corrupt\": %d, \"scored\": %d, \"duplicates\": %d, "
            + "\"alerts\": %d, \"largestAlertBytes\": %d, \"deadLetters\": %d, \"complete\": %s, \"framesPerSecond\": %s, \"latencyP50Ms\": %d, "
            + "\"latencyP99Ms\": %d, \"visibleP50Ms\": %d, \"visibleP99Ms\": %d, \"imageAuroc\": %s, \"recall\": %s, "
            + "\"falseAlarmRate\": %s, \"perVariant\": {%s}}%n",
        sent,
        corrupt,
        scored,
        duplicates,
        alerts,
        largestAlertBytes,
        deadLetters,
        complete,
        num(framesPerSecond),
        latencyP50,
        latencyP99,
        visibleP50,
        visibleP99,
        num(imageAuroc),
        num(recall),
        num(falseAlarmRate),
        variants);
  }

  private static String num(double v) {
    return Double.isFinite(v) ? String.format(Locale.ROOT, "%.6f", v) : "null";
  }
}
