package io.tailwatch.detector.hyperspectral;

import io.tailwatch.detector.stats.GaussianKde;
import io.tailwatch.detector.stats.Quantiles;
import io.tailwatch.detector.stats.ScoreTarget;
import java.util.Arrays;
import java.util.Locale;

/**
 * Importance weights that align a sample's score distribution with a target Gaussian (ALGORITHMS.md
 * section 3): w_i = p(s_i) / max(q(s_i), eps), optionally tempered (w^beta), self-normalised to
 * mean 1 and clipped. q is the observed density (Gaussian KDE with Silverman's bandwidth, evaluated
 * on a fine grid, or a Freedman-Diaconis histogram); p is N(median, (1.4826 MAD)^2) or N(mean,
 * sd^2). The dense majority mode gets w < 1, the moderate right shoulder w > 1, and the extreme
 * tail w < 1 again because the Gaussian decays faster than the tail.
 */
public final class ImportanceWeights {
  public enum Density {
    KDE,
    HISTOGRAM
  }

  private static final int KDE_GRID = 2048;
  private static final double KDE_CUTOFF_SIGMAS = 4;
  private static final double EPS = 1e-12;

  public record Options(
      Density density, ScoreTarget target, double clipMin, double clipMax, double temper) {
    public Options {
      if (target != ScoreTarget.ROBUST && target != ScoreTarget.MOMENT) {
        throw new IllegalArgumentException(
            "importance-weight target must be "
                + ScoreTarget.choices(ScoreTarget.ROBUST, ScoreTarget.MOMENT)
                + ", was "
                + target
                + " (the other targets belong to the online statistics)");
      }
      if (!(clipMin > 0 && clipMin <= 1 && clipMax >= 1 && Double.isFinite(clipMax))) {
        throw new IllegalArgumentException(
            "weight clip must satisfy 0 < min <= 1 <= max, was [" + clipMin + ", " + clipMax + "]");
      }
      if (!(temper > 0 && temper <= 1)) {
        throw new IllegalArgumentException("temper must be in (0, 1], was " + temper);
      }
    }

    public static Options defaults() {
      return new Options(Density.KDE, ScoreTarget.ROBUST, 0.1, 10, 1);
    }

    public String describe() {
      return String.format(
          Locale.ROOT,
          "%s density, %s target, clip [%s, %s], temper %s",
          density.name().toLowerCase(Locale.ROOT),
          target.label(),
          clipMin,
          clipMax,
          temper);
    }
  }

  private ImportanceWeights() {}

  public static double[] compute(double[] scores, Options options) {
    int n = scores.length;
    if (n < 2) {
      double[] ones = new double[n];
      Arrays.fill(ones, 1);
      return ones;
    }
    double[] sorted = scores.clone();
    Arrays.sort(sorted);
    double mu;
    double sigma;
    if (options.target() == ScoreTarget.ROBUST) {
      mu = Quantiles.linear(sorted, 0.5);
      double[] dev = new double[n];
      for (int i = 0; i < n; i++) {
        dev[i] = Math.abs(scores[i] - mu);
      }
      Arrays.sort(dev);
      sigma = 1.4826 * Quantiles.linear(dev, 0.5);
    } else {
      mu = mean(scores);
      sigma = sd(scores, mu);
    }
    if (!(sigma > 0)) {
      sigma =
          Math.max(
              sd(scores, mean(scores)),
              EPS); // over half the scores tie: fall back to the moment scale
    }
    double[] q = options.density() == Density.KDE ? kde(scores, sorted) : histogram(scores, sorted);
    double[] w = new double[n];
    for (int i = 0; i < n; i++) {
      double z = (scores[i] - mu) / sigma;
      double p = Math.exp(-0.5 * z * z) / (sigma * Math.sqrt(2 * Math.PI));
      w[i] = Math.pow(p / Math.max(q[i], EPS), options.temper());
    }
    normalise(w);
    // clip, renormalise, repeat: a few rounds make both "mean 1" and "within the clip" hold
    // together
    for (int round = 0; round < 50; round++) {
      boolean changed = false;
      for (int i = 0; i < n; i++) {
        double c = Math.min(options.clipMax(), Math.max(options.clipMin(), w[i]));
        changed |= c != w[i];
        w[i] = c;
      }
      normalise(w);
      if (!changed) {
        break;
      }
    }
    return w;
  }

  /** Silverman's bandwidth of sorted scores. */
  public static double silvermanBandwidth(double[] sorted) {
    double iqr = Quantiles.linear(sorted, 0.75) - Quantiles.linear(sorted, 0.25);
    return GaussianKde.silvermanBandwidth(sd(sorted, mean(sorted)), iqr, sorted.length);
  }

  /**
   * Gaussian KDE at every score, from a binned estimate on a fine grid with linear interpolation.
   */
  static double[] kde(double[] scores, double[] sorted) {
    int n = scores.length;
    double h = Math.max(silvermanBandwidth(sorted), EPS);
    double lo = sorted[0] - 4 * h;
    double hi = sorted[n - 1] + 4 * h;
    double step = (hi - lo) / (KDE_GRID - 1);
    double[] mass = new double[KDE_GRID];
    for (double s : scores) { // linear binning
      double pos = (s - lo) / step;
      int i = (int) Math.floor(pos);
      double f = pos - i;
      mass[Math.min(i, KDE_GRID - 1)] += 1 - f;
      if (i + 1 < KDE_GRID) {
        mass[i + 1] += f;
      }
    }
    double[] density = GaussianKde.onGrid(mass, step, h, n, KDE_CUTOFF_SIGMAS);
    double[] q = new double[n];
    for (int i = 0; i < n; i++) {
      double pos = (scores[i] - lo) / step;
      int g = Math.min((int) Math.floor(pos), KDE_GRID - 2);
      double f = pos - g;
      q[i] = density[g] * (1 - f) + density[g + 1] * f;
    }
    return q;
  }

  /** Freedman-Diaconis histogram density: bin width 2 IQR n^(-1/3). */
  static double[] histogram(double[] scores, double[] sorted) {
    int n = scores.length;
    double iqr = Quantiles.linear(sorted, 0.75) - Quantiles.linear(sorted, 0.25);
    double range = sorted[n - 1] - sorted[0];
    double width = iqr > 0 ? 2 * iqr * Math.pow(n, -1.0 / 3) : range / Math.max(1, Math.sqrt(n));
    if (!(width > 0)) {
      width = 1;
    }
    int bins = (int) Math.min(100_000, Math.max(1, Math.ceil(range / width)));
    int[] counts = new int[bins];
    for (double s : scores) {
      counts[Math.min(bins - 1, (int) ((s - sorted[0]) / width))]++;
    }
    double[] q = new double[n];
    for (int i = 0; i < n; i++) {
      q[i] = counts[Math.min(bins - 1, (int) ((scores[i] - sorted[0]) / width))] / (n * width);
    }
    return q;
  }

  private static void normalise(double[] w) {
    double m = mean(w);
    for (int i = 0; i < w.length; i++) {
      w[i] /= m;
    }
  }

  private static double mean(double[] x) {
    double s = 0;
    for (double v : x) {
      s += v;
    }
    return s / x.length;
  }

  private static double sd(double[] x, double mean) {
    double s = 0;
    for (double v : x) {
      s += (v - mean) * (v - mean);
    }
    return Math.sqrt(s / x.length);
  }
}
