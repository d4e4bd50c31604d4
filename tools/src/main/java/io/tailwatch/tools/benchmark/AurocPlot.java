package io.tailwatch.tools.benchmark;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SortedMap;
import javax.imageio.ImageIO;

/**
 * A line chart of mean image AUROC against the noise ratio, one line per method (PNG, Java2D only).
 */
public final class AurocPlot {
  private static final Color[] COLOURS = {
    new Color(0x4263eb),
    new Color(0xe8590c),
    new Color(0x2f9e44),
    new Color(0xae3ec9),
    new Color(0x868e96)
  };

  private AurocPlot() {}

  /**
   * @param series method -> (noise ratio -> mean AUROC)
   */
  public static void write(Path png, String title, Map<String, SortedMap<Double, Double>> series)
      throws IOException {
    int w = 720;
    int h = 440;
    int left = 70;
    int right = 170;
    int top = 50;
    int bottom = 60;
    BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, w, h);
    double xMin =
        series.values().stream().flatMap(m -> m.keySet().stream()).min(Double::compare).orElse(0.0);
    double xMax =
        series.values().stream().flatMap(m -> m.keySet().stream()).max(Double::compare).orElse(1.0);
    if (xMax <= xMin) {
      xMax = xMin + 0.1;
    }
    double yMin =
        Math.floor(
                series.values().stream()
                        .flatMap(m -> m.values().stream())
                        .min(Double::compare)
                        .orElse(0.5)
                    * 20)
            / 20;
    double yMax = 1.0;
    if (yMin >= yMax) {
      yMin = yMax - 0.05;
    }
    int pw = w - left - right;
    int ph = h - top - bottom;
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
    g.setColor(new Color(0xdee2e6));
    for (int i = 0; i <= 5; i++) {
      int y = top + ph - ph * i / 5;
      g.drawLine(left, y, left + pw, y);
    }
    g.setColor(Color.DARK_GRAY);
    g.drawRect(left, top, pw, ph);
    for (int i = 0; i <= 5; i++) {
      double v = yMin + (yMax - yMin) * i / 5;
      int y = top + ph - ph * i / 5;
      g.drawString(String.format(Locale.ROOT, "%.3f", v), left - 45, y + 4);
    }
    List<Double> xs =
        series.values().stream().flatMap(m -> m.keySet().stream()).distinct().sorted().toList();
    for (double x : xs) {
      int px = left + (int) Math.round((x - xMin) / (xMax - xMin) * pw);
      g.drawString(String.format(Locale.ROOT, "%.2f", x), px - 12, top + ph + 18);
    }
    g.drawString("noise ratio (defective images in the training set)", left + pw / 2 - 150, h - 18);
    g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
    g.drawString(title, left, top - 20);
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
    int k = 0;
    for (Map.Entry<String, SortedMap<Double, Double>> e : series.entrySet()) {
      Color c = COLOURS[k % COLOURS.length];
      g.setColor(c);
      g.setStroke(new BasicStroke(2.5f));
      int[] prev = null;
      for (Map.Entry<Double, Double> p : e.getValue().entrySet()) {
        int px = left + (int) Math.round((p.getKey() - xMin) / (xMax - xMin) * pw);
        int py = top + ph - (int) Math.round((p.getValue() - yMin) / (yMax - yMin) * ph);
        g.fillOval(px - 4, py - 4, 8, 8);
        if (prev != null) {
          g.drawLine(prev[0], prev[1], px, py);
        }
        prev = new int[] {px, py};
      }
      int ly = top + 20 + 22 * k;
      g.drawLine(left + pw + 15, ly - 4, left + pw + 40, ly - 4);
      g.setColor(Color.DARK_GRAY);
      g.drawString(e.getKey(), left + pw + 48, ly);
      k++;
    }
    g.dispose();
    Files.createDirectories(png.toAbsolutePath().getParent());
    ImageIO.write(img, "png", png.toFile());
  }
}
