package io.tailwatch.tools;

import io.tailwatch.detector.util.Progress;
import java.io.PrintStream;
import java.util.Locale;

/**
 * A text progress bar on stderr: redrawn in place on a terminal, one line per 10% otherwise (CI
 * logs). Shows count, rate and time left.
 */
final class ProgressBar implements Progress, AutoCloseable {
  private static final int WIDTH = 30;
  private final String label;
  private final PrintStream out;
  private final boolean interactive;
  private long startNanos; // at the first update: a bar may be created long before its work starts
  private long lastDraw;
  private int lastDecile = -1;
  private long done;
  private long total;
  private long firstDone;

  ProgressBar(String label) {
    this(label, System.err, System.console() != null);
  }

  ProgressBar(String label, PrintStream out, boolean interactive) {
    this.label = label;
    this.out = out;
    this.interactive = interactive;
  }

  @Override
  public synchronized void update(long done, long total) {
    long now = System.nanoTime();
    if (startNanos == 0) {
      // the clock starts at the first report, so set-up time is not counted; so does the count it
      // measures
      startNanos = now;
      firstDone = done;
    }
    this.done = done;
    this.total = total;
    if (interactive) {
      if (now - lastDraw > 200_000_000L || done == total) {
        lastDraw = now;
        out.print("\r" + line());
        out.flush();
      }
    } else {
      int decile = total == 0 ? 10 : (int) (10 * done / total);
      if (decile != lastDecile) {
        lastDecile = decile;
        out.println(line());
      }
    }
  }

  String line() {
    double frac = total == 0 ? 1 : (double) done / total;
    int filled = (int) Math.round(frac * WIDTH);
    double elapsed = (System.nanoTime() - startNanos) / 1e9;
    double rate = elapsed > 0.2 ? (done - firstDone) / elapsed : 0;
    double left = rate > 0 ? (total - done) / rate : 0;
    return String.format(
        Locale.ROOT,
        "%-10s [%s%s] %3d%% %d/%d  %s/s  %s left",
        label,
        "#".repeat(filled),
        " ".repeat(WIDTH - filled),
        Math.round(frac * 100),
        done,
        total,
        rate > 0 ? String.format(Locale.ROOT, "%.1f", rate) : "--",
        rate > 0 ? clock(left) : "-:--");
  }

  private static String clock(double seconds) {
    long s = Math.round(seconds);
    return String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
  }

  @Override
  public synchronized void close() {
    if (interactive && lastDraw != 0) {
      out.println();
    }
  }
}
