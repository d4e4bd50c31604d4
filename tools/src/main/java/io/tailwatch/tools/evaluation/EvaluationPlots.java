package io.tailwatch.tools.evaluation;

import io.tailwatch.detector.eval.EvaluationResult;
import io.tailwatch.detector.metrics.BinaryScores;
import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYBarRenderer;
import org.jfree.chart.ui.RectangleAnchor;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.statistics.HistogramDataset;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * Per class: the image-level ROC curve and the score histogram (normal against defective, the
 * fitted threshold marked), as PNG files a person can glance at. JFreeChart draws them headless.
 */
public final class EvaluationPlots {
  static final int WIDTH = 560;
  static final int HEIGHT = 420;
  private static final int BINS = 30;

  static {
    // the CLI never opens a window; without this AWT may look for a display
    System.setProperty("java.awt.headless", "true");
  }

  private EvaluationPlots() {}

  /** Writes {@code <stem>-roc.png} and {@code <stem>-scores.png}; returns both paths. */
  public static List<Path> write(EvaluationResult r, String title, Path dir, String stem)
      throws IOException {
    Files.createDirectories(dir);
    Path roc = dir.resolve(stem + "-roc.png");
    Path hist = dir.resolve(stem + "-scores.png");
    ChartUtils.saveChartAsPNG(roc.toFile(), roc(r, title), WIDTH, HEIGHT);
    ChartUtils.saveChartAsPNG(hist.toFile(), histogram(r, title), WIDTH, HEIGHT);
    return List.of(roc, hist);
  }

  private static void whiteBackground(JFreeChart chart) {
    chart.setBackgroundPaint(Color.WHITE);
    XYPlot plot = chart.getXYPlot();
    plot.setBackgroundPaint(Color.WHITE);
    plot.setDomainGridlinePaint(new Color(0xDDDDDD));
    plot.setRangeGridlinePaint(new Color(0xDDDDDD));
  }

  static JFreeChart roc(EvaluationResult r, String title) {
    BinaryScores scores = r.scores();
    XYSeries curve =
        new XYSeries(
            String.format(Locale.ROOT, "image ROC, AUROC %.4f", scores.auroc()), false, true);
    for (double[] p : scores.rocCurve()) {
      curve.add(p[0], p[1]);
    }
    XYSeries chance = new XYSeries("chance", false, true);
    chance.add(0, 0);
    chance.add(1, 1);
    XYSeriesCollection data = new XYSeriesCollection();
    data.addSeries(curve);
    data.addSeries(chance);
    JFreeChart chart =
        ChartFactory.createXYLineChart(
            title + " (" + r.method() + ")",
            "false-positive rate (normal images)",
            "true-positive rate (defective images)",
            data,
            PlotOrientation.VERTICAL,
            true,
            false,
            false);
    XYPlot plot = chart.getXYPlot();
    plot.getDomainAxis().setRange(0, 1);
    plot.getRangeAxis().setRange(0, 1.02);
    plot.getRenderer().setSeriesPaint(0, new Color(0xC0392B));
    plot.getRenderer().setSeriesStroke(0, new BasicStroke(2f));
    plot.getRenderer().setSeriesPaint(1, Color.GRAY);
    EvaluationResult.AtThreshold t = r.atThreshold();
    if (t != null) {
      // the fitted threshold's operating point
      XYSeries point = new XYSeries("at the fitted threshold", false, true);
      point.add(t.falseAlarmRate().estimate(), t.recall().estimate());
      data.addSeries(point);
      plot.getRenderer().setSeriesPaint(2, new Color(0x1F4E79));
      plot.getRenderer().setSeriesShape(2, new java.awt.geom.Ellipse2D.Double(-5, -5, 10, 10));
      ((org.jfree.chart.renderer.xy.XYLineAndShapeRenderer) plot.getRenderer())
          .setSeriesShapesVisible(2, true);
    }
    whiteBackground(chart);
    return chart;
  }

  static JFreeChart histogram(EvaluationResult r, String title) {
    double[] normal =
        r.imageScores().stream().filter(s -> !s.anomalous()).mapToDouble(s -> s.score()).toArray();
    double[] defective =
        r.imageScores().stream().filter(s -> s.anomalous()).mapToDouble(s -> s.score()).toArray();
    double lo = Double.POSITIVE_INFINITY;
    double hi = Double.NEGATIVE_INFINITY;
    for (EvaluationResult.ImageScore s : r.imageScores()) {
      lo = Math.min(lo, s.score());
      hi = Math.max(hi, s.score());
    }
    if (r.calibration() != null) {
      lo = Math.min(lo, r.calibration().threshold());
      hi = Math.max(hi, r.calibration().threshold());
    }
    if (!(hi > lo)) {
      hi = lo + 1e-6;
    }
    HistogramDataset data = new HistogramDataset();
    data.addSeries("normal (" + normal.length + ")", normal, BINS, lo, hi);
    data.addSeries("defective (" + defective.length + ")", defective, BINS, lo, hi);
    JFreeChart chart =
        ChartFactory.createHistogram(
            title + " (" + r.method() + "): image scores",
            "image score",
            "test images",
            data,
            PlotOrientation.VERTICAL,
            true,
            false,
            false);
    XYPlot plot = chart.getXYPlot();
    plot.setForegroundAlpha(0.6f);
    XYBarRenderer bars = (XYBarRenderer) plot.getRenderer();
    bars.setShadowVisible(false);
    bars.setSeriesPaint(0, new Color(0x2E86C1));
    bars.setSeriesPaint(1, new Color(0xC0392B));
    if (r.calibration() != null) {
      ValueMarker marker = new ValueMarker(r.calibration().threshold());
      marker.setPaint(Color.BLACK);
      marker.setStroke(
          new BasicStroke(
              1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 1f, new float[] {6f, 4f}, 0f));
      marker.setLabel(String.format(Locale.ROOT, "threshold %.3f", r.calibration().threshold()));
      marker.setLabelAnchor(RectangleAnchor.TOP_RIGHT);
      marker.setLabelTextAnchor(TextAnchor.TOP_LEFT);
      plot.addDomainMarker(marker);
    }
    whiteBackground(chart);
    return chart;
  }
}
