package io.tailwatch.detector.eval;

import java.util.List;
import java.util.Locale;

/** Metrics per anomaly type and overall, with fit and throughput figures. */
public record EvaluationResult(
    String dataset,
    String backbone,
    String provider,
    List<Row> rows,
    Row overall,
    int trainImages,
    long trainPatches,
    int bankSize,
    double embedSeconds,
    double coresetSeconds,
    int testImages,
    double scoreSeconds) {

  /** One table row. NaN where a metric does not apply. */
  public record Row(
      String type,
      int normal,
      int anomalous,
      double imageAuroc,
      double pixelAuroc,
      double pro,
      double pixelAp) {}

  public double framesPerSecond() {
    return testImages / scoreSeconds;
  }

  public String markdown() {
    StringBuilder sb = new StringBuilder();
    sb.append(
        "| defect type | normal | defective | image AUROC | pixel AUROC | PRO (FPR<=0.3) | pixel AP |\n");
    sb.append("|---|---:|---:|---:|---:|---:|---:|\n");
    for (Row r : rows) {
      sb.append(row(r, false));
    }
    sb.append(row(overall, true));
    sb.append(
        String.format(
            Locale.ROOT,
            "%nBackbone %s on %s. Fit: %d images, %,d patches -> bank of %,d; embedding %.1f s, coreset %.1f s "
                + "(fit %.1f s). Scoring: %d images in %.1f s = %.1f frames/s (decode, features, kNN, maps).%n",
            backbone,
            provider,
            trainImages,
            trainPatches,
            bankSize,
            embedSeconds,
            coresetSeconds,
            embedSeconds + coresetSeconds,
            testImages,
            scoreSeconds,
            framesPerSecond()));
    return sb.toString();
  }

  private static String row(Row r, boolean bold) {
    String b = bold ? "**" : "";
    return String.format(
        Locale.ROOT,
        "| %s%s%s | %d | %d | %s | %s | %s | %s |%n",
        b,
        r.type(),
        b,
        r.normal(),
        r.anomalous(),
        f(r.imageAuroc()),
        f(r.pixelAuroc()),
        f(r.pro()),
        f(r.pixelAp()));
  }

  private static String f(double v) {
    return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.4f", v);
  }
}
