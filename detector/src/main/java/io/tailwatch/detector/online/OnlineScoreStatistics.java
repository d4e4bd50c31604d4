package io.tailwatch.detector.online;

import io.tailwatch.detector.scoring.ScoreCalibration;
import io.tailwatch.detector.stats.GaussianKde;
import io.tailwatch.detector.stats.ScoreTarget;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Streaming statistics of one scope's (line x modality) image scores, ALGORITHMS.md §6: an
 * exponentially decayed histogram with decayed moments, the robust location/scale from it, the
 * observed density q (Gaussian KDE over the histogram, Silverman bandwidth), a target p ({@link
 * ScoreTarget}: §6's N(median, (1.4826 MAD)^2) or a variant), the importance weight w(s) =
 * clip(p(s)/q(s)) normalised to mean 1 under q, and the (1 - alpha) quantile threshold.
 *
 * <p>Which scores enter: every score up to a guard of {@code median + outlierSigmas * 1.4826 MAD}.
 * Not only the frames below the current threshold: a histogram cut at its own (1 - alpha) quantile
 * has a lower (1 - alpha) quantile, so a threshold fed back from it walks down without end. The
 * guard keeps gross outliers (clear defects) out of q and the threshold, while the moderately high
 * scores of rare normal variants stay in. When more than {@value #MAX_OUTLIER_RATE} of recent
 * scores (decayed) are above the guard, the normal scores moved, and the guard is lifted until the
 * histogram followed them.
 *
 * <p>Scores are non-negative (squared distances, reconstruction errors); the histogram spans [0,
 * hi) in {@code bins} equal bins and doubles hi (merging bin pairs) when a larger score arrives.
 * Decay: each new score has weight 2^(1/halfLife) times the previous one (a running scale,
 * renormalised before it overflows). Derived figures are refreshed every {@code refreshEvery}
 * scores, so between refreshes the threshold and weights are piecewise constant (and identical
 * after a restore: they are part of the serialised state).
 *
 * <p>Not thread safe. {@link #toBytes()} / {@link #fromBytes(byte[])} carry a format version.
 */
public final class OnlineScoreStatistics {
  /** Serialised state format; bump and keep a reader for the old one when fields change. */
  public static final int STATE_VERSION = 1;

  static final double MAD_TO_SIGMA = 1.4826;
  private static final double RENORMALISE_AT = 1e100;
  private static final int GUARD_MIN_SAMPLES = 30;

  /**
   * A decayed share of guarded-out scores above this is not a defect rate but a shift of the normal
   * scores (new lighting, a re-seated camera): the guard is lifted until the histogram has
   * followed.
   */
  static final double MAX_OUTLIER_RATE = 0.2;

  /**
   * The histogram's KDE kernel is cut at this many bandwidths (exp(-32): nothing a weight can see).
   */
  private static final double KDE_CUTOFF_SIGMAS = 8;

  /** Tunables; validated here so a bad job setting fails at start with the option's meaning. */
  public record Config(
      int bins,
      double halfLife,
      double falseAlarmRate,
      long minFrames,
      double weightMin,
      double weightMax,
      double outlierSigmas,
      int refreshEvery,
      ScoreTarget target)
      implements java.io.Serializable {
    public Config(
        int bins,
        double halfLife,
        double falseAlarmRate,
        long minFrames,
        double weightMin,
        double weightMax,
        double outlierSigmas,
        int refreshEvery) {
      this(
          bins,
          halfLife,
          falseAlarmRate,
          minFrames,
          weightMin,
          weightMax,
          outlierSigmas,
          refreshEvery,
          ScoreTarget.ROBUST);
    }

    public Config {
      if (target == null) {
        throw new IllegalArgumentException("statistics target must be " + ScoreTarget.choices());
      }
      if (bins < 16 || bins > 65536) {
        throw new IllegalArgumentException("statistics bins must be in [16, 65536], was " + bins);
      }
      if (!(halfLife >= 10)) {
        throw new IllegalArgumentException(
            "statistics half-life must be at least 10 frames, was " + halfLife);
      }
      if (!(falseAlarmRate > 0 && falseAlarmRate < 0.5)) {
        throw new IllegalArgumentException(
            "false-alarm rate must be in (0, 0.5), was " + falseAlarmRate);
      }
      if (minFrames < 1) {
        throw new IllegalArgumentException("min-frames must be at least 1, was " + minFrames);
      }
      if (!(weightMin > 0 && weightMin <= 1 && weightMax >= 1 && Double.isFinite(weightMax))) {
        throw new IllegalArgumentException(
            "weights need 0 < min <= 1 <= max, were [" + weightMin + ", " + weightMax + "]");
      }
      if (!(outlierSigmas > 0)) {
        throw new IllegalArgumentException(
            "outlier guard must be positive robust sigmas, was " + outlierSigmas);
      }
      if (refreshEvery < 1) {
        throw new IllegalArgumentException(
            "refresh interval must be at least 1 score, was " + refreshEvery);
      }
    }

    public static Config defaults() {
      return new Config(512, 2000, 0.01, 200, 0.1, 10, 8, 16);
    }
  }

  private final Config config;
  private final double growth; // per-score growth of the increment (the inverse decay factor)
  // histogram and moments, all in units of the running increment
  private double hi;
  private final double[] bins;
  private double increment = 1;
  private double s0;
  private double s1;
  private double s2;
  private double s3;
  private double sumSquares; // of increments: effective sample size (s0^2 / sumSquares)
  private long count; // scores offered
  private long accepted; // scores that entered the histogram
  private long outliers; // scores above the guard
  private double alertRate; // decayed fraction of offered scores that alerted
  private double outlierRate; // decayed fraction of offered scores above the guard
  private int sinceRefresh;
  // derived at the last refresh
  private double median = Double.NaN;
  private double mad = Double.NaN;
  private double quantile90 = Double.NaN;
  private double quantile99 = Double.NaN;
  private double onlineThreshold = Double.NaN;
  private double guard = Double.POSITIVE_INFINITY;
  private double normaliser = 1;
  private double bandwidth = Double.NaN;
  private final double[] density; // q at the bin centres
  private double weightMin = Double.NaN;
  private double weightMax = Double.NaN;

  public OnlineScoreStatistics(Config config) {
    this.config = config;
    this.growth = Math.pow(2, 1 / config.halfLife());
    this.bins = new double[config.bins()];
    this.density = new double[config.bins()];
  }

  public Config config() {
    return config;
  }

  /**
   * Adds a score. {@code alerted}: whether the frame alerted (for the decayed alert rate only;
   * alerting scores below the guard still enter the distribution). Returns whether the score
   * entered the histogram.
   */
  public boolean add(double score, boolean alerted) {
    if (!Double.isFinite(score)) {
      throw new IllegalArgumentException("score must be finite, was " + score);
    }
    double s = Math.max(0, score);
    count++;
    double decay = 1 / growth;
    alertRate = alertRate * decay + (alerted ? 1 - decay : 0);
    boolean enters = !(s > guard) || outlierRate > MAX_OUTLIER_RATE;
    outlierRate = outlierRate * decay + (s > guard ? 1 - decay : 0);
    if (enters) {
      accepted++;
      if (accepted > 1) {
        increment *= growth;
      }
      if (increment > RENORMALISE_AT) {
        renormalise();
      }
      if (hi == 0) {
        hi = initialRange(s);
      }
      while (s >= hi) {
        widen();
      }
      bins[Math.min(bins.length - 1, (int) (s / hi * bins.length))] += increment;
      s0 += increment;
      s1 += increment * s;
      s2 += increment * s * s;
      s3 += increment * s * s * s;
      sumSquares += increment * increment;
    } else {
      outliers++;
    }
    if (++sinceRefresh >= config.refreshEvery() || Double.isNaN(median)) {
      refresh();
    }
    return enters;
  }

  private static double initialRange(double s) {
    return s > 0 ? 4 * s : 1e-6;
  }

  private void renormalise() {
    double f = 1 / increment;
    for (int i = 0; i < bins.length; i++) {
      bins[i] *= f;
    }
    s0 *= f;
    s1 *= f;
    s2 *= f;
    s3 *= f;
    sumSquares *= f * f;
    increment = 1;
  }

  /** Doubles the range: bin pairs merge into the lower half. */
  private void widen() {
    int n = bins.length;
    for (int i = 0; i < n / 2; i++) {
      bins[i] = bins[2 * i] + bins[2 * i + 1];
    }
    if (n % 2 == 1) {
      bins[n / 2] += bins[n - 1];
    }
    Arrays.fill(bins, n / 2 + (n % 2 == 1 ? 1 : 0), n, 0);
    hi *= 2;
  }

  /** Recomputes the derived figures now (also done every {@code refreshEvery} scores). */
  public void refresh() {
    sinceRefresh = 0;
    if (s0 <= 0) {
      return;
    }
    median = quantileOfHistogram(0.5);
    mad = medianAbsoluteDeviation(median);
    quantile90 = quantileOfHistogram(0.90);
    quantile99 = quantileOfHistogram(0.99);
    onlineThreshold = quantileOfHistogram(1 - config.falseAlarmRate());
    double sigma = robustSigma();
    guard =
        accepted >= GUARD_MIN_SAMPLES
            ? median + config.outlierSigmas() * sigma
            : Double.POSITIVE_INFINITY;
    // Silverman on the histogram: 0.9 min(sd, IQR/1.34) n_eff^(-1/5), at least one bin wide
    double iqr = quantileOfHistogram(0.75) - quantileOfHistogram(0.25);
    double binWidth = hi / bins.length;
    bandwidth =
        Math.max(
            binWidth, GaussianKde.silvermanBandwidth(standardDeviation(), iqr, effectiveCount()));
    if (!Double.isFinite(bandwidth)) {
      bandwidth = binWidth;
    }
    double[] smoothed = GaussianKde.onGrid(bins, binWidth, bandwidth, s0, KDE_CUTOFF_SIGMAS);
    System.arraycopy(smoothed, 0, density, 0, density.length);
    // normalise so the mean weight under the observed distribution is 1 (before the final clip)
    double mean = 0;
    for (int b = 0; b < bins.length; b++) {
      if (bins[b] > 0) {
        mean += bins[b] / s0 * rawWeight(centre(b), density[b]);
      }
    }
    normaliser = mean > 0 ? mean : 1;
    weightMin = Double.POSITIVE_INFINITY;
    weightMax = Double.NEGATIVE_INFINITY;
    for (int b = 0; b < bins.length; b++) {
      if (bins[b] > 0) {
        double w = weight(centre(b));
        weightMin = Math.min(weightMin, w);
        weightMax = Math.max(weightMax, w);
      }
    }
  }

  private double centre(int b) {
    return (b + 0.5) * hi / bins.length;
  }

  /**
   * The scale of {@link ScoreTarget#QUANTILE}: (threshold - median) / z(1 - alpha), at least the
   * robust sigma.
   */
  private double quantileSigma() {
    double z = ScoreCalibration.inverseNormalCdf(1 - config.falseAlarmRate());
    double sigma = (onlineThreshold - median) / z;
    return Double.isFinite(sigma) ? Math.max(sigma, robustSigma()) : robustSigma();
  }

  private double robustSigma() {
    double sigma = MAD_TO_SIGMA * mad;
    return sigma > 0 ? sigma : hi / bins.length;
  }

  /**
   * Target density p(s): N(median, (1.4826 MAD)^2), or N(mean, sd^2) with {@link
   * ScoreTarget#MOMENT}, or 1/hi over the histogram's range [0, hi) with {@link ScoreTarget#FLAT}.
   */
  public double target(double s) {
    if (config.target() == ScoreTarget.FLAT) {
      return hi > 0 ? 1 / hi : 0;
    }
    boolean moment = config.target() == ScoreTarget.MOMENT;
    double sigma =
        switch (config.target()) {
          case MOMENT -> Math.max(standardDeviation(), hi / bins.length);
          case QUANTILE -> quantileSigma();
          default -> robustSigma();
        };
    double z = (s - (moment ? mean() : median)) / sigma;
    return Math.exp(-0.5 * z * z) / (sigma * Math.sqrt(2 * Math.PI));
  }

  /** Observed density q(s): the KDE at the bin centres, linearly interpolated. */
  public double observed(double s) {
    if (hi == 0) {
      return 0;
    }
    double pos = s / hi * bins.length - 0.5;
    if (pos <= 0) {
      return density[0];
    }
    if (pos >= bins.length - 1) {
      return s >= hi ? 0 : density[bins.length - 1];
    }
    int i = (int) pos;
    double f = pos - i;
    return density[i] * (1 - f) + density[i + 1] * f;
  }

  private double rawWeight(double s, double q) {
    double floor = 1e-12 / Math.max(hi, 1e-12);
    return clip(target(s) / Math.max(q, floor));
  }

  private double clip(double w) {
    return Math.min(config.weightMax(), Math.max(config.weightMin(), w));
  }

  /**
   * The importance weight of a score: p/q, clipped to [weightMin, weightMax], divided by its mean
   * under the observed distribution, clipped again. 1 until the histogram holds anything.
   */
  public double weight(double score) {
    if (Double.isNaN(median) || s0 <= 0) {
      return 1;
    }
    return clip(rawWeight(score, observed(score)) / normaliser);
  }

  /**
   * The threshold in force: the (1 - alpha) quantile of the observed distribution once {@code
   * minFrames} scores entered it; before that {@code floor} (the bank's calibrated threshold).
   */
  public double threshold(double floor) {
    return accepted >= config.minFrames() && Double.isFinite(onlineThreshold)
        ? onlineThreshold
        : floor;
  }

  /** Whether the online threshold is in force (min-frames reached). */
  public boolean warmedUp() {
    return accepted >= config.minFrames() && Double.isFinite(onlineThreshold);
  }

  /**
   * Fraction of the observed normal distribution below the score (0.99 = above 99% of normal
   * frames), or {@code fallback}'s value before warm-up; NaN if neither is known.
   */
  public double calibrated(double score, ScoreCalibration fallback) {
    if (!warmedUp()) {
      return fallback == null ? Double.NaN : fallback.calibrated(score);
    }
    return cdf(score);
  }

  /** Decayed fraction of histogram mass below x (linear within a bin). */
  public double cdf(double x) {
    if (s0 <= 0) {
      return Double.NaN;
    }
    if (x <= 0) {
      return 0;
    }
    if (x >= hi) {
      return 1;
    }
    double pos = x / hi * bins.length;
    int b = (int) pos;
    double below = 0;
    for (int i = 0; i < b; i++) {
      below += bins[i];
    }
    below += bins[b] * (pos - b);
    return below / s0;
  }

  /** Decayed p-quantile of the histogram (linear within a bin). */
  public double quantileOfHistogram(double p) {
    if (s0 <= 0) {
      return Double.NaN;
    }
    double target = p * s0;
    double acc = 0;
    double width = hi / bins.length;
    for (int b = 0; b < bins.length; b++) {
      if (acc + bins[b] >= target && bins[b] > 0) {
        return (b + (target - acc) / bins[b]) * width;
      }
      acc += bins[b];
    }
    return hi;
  }

  private double medianAbsoluteDeviation(double m) {
    double lo = 0;
    double up = hi;
    for (int i = 0; i < 60; i++) {
      double d = (lo + up) / 2;
      if (cdf(m + d) - cdf(m - d) >= 0.5) {
        up = d;
      } else {
        lo = d;
      }
    }
    return up;
  }

  public double mean() {
    return s0 > 0 ? s1 / s0 : Double.NaN;
  }

  public double standardDeviation() {
    if (s0 <= 0) {
      return Double.NaN;
    }
    double m = s1 / s0;
    return Math.sqrt(Math.max(0, s2 / s0 - m * m));
  }

  /** Decayed moment skewness E[(s - mean)^3] / sd^3 of the scores in the histogram. */
  public double skewness() {
    if (s0 <= 0) {
      return Double.NaN;
    }
    double m = s1 / s0;
    double var = s2 / s0 - m * m;
    if (!(var > 0)) {
      return 0;
    }
    double third = s3 / s0 - 3 * m * s2 / s0 + 2 * m * m * m;
    return third / Math.pow(var, 1.5);
  }

  /** Decayed weight of the scores in the histogram (effective number of recent frames). */
  public double effectiveCount() {
    return s0 > 0 ? s0 * s0 / sumSquares : 0;
  }

  public long count() {
    return count;
  }

  public long accepted() {
    return accepted;
  }

  public long outliers() {
    return outliers;
  }

  public double alertRate() {
    return alertRate;
  }

  public double median() {
    return median;
  }

  public double mad() {
    return mad;
  }

  public double quantile90() {
    return quantile90;
  }

  public double quantile99() {
    return quantile99;
  }

  public double guard() {
    return guard;
  }

  public double weightMin() {
    return weightMin;
  }

  public double weightMax() {
    return weightMax;
  }

  /** The whole state, config included, with {@link #STATE_VERSION} first. */
  public byte[] toBytes() {
    return toBytes(config);
  }

  private byte[] toBytes(Config config) {
    int n = bins.length;
    ByteBuffer b =
        ByteBuffer.allocate(4 + 4 + 8 * 7 + 4 + 4 + 8 * 8 + 8 * 3 + 8 * 2 + 4 + 8 * 10 + 16 * n);
    b.putInt(STATE_VERSION);
    b.putInt(config.bins())
        .putDouble(config.halfLife())
        .putDouble(config.falseAlarmRate())
        .putLong(config.minFrames())
        .putDouble(config.weightMin())
        .putDouble(config.weightMax())
        .putDouble(config.outlierSigmas())
        .putInt(config.refreshEvery())
        .putInt(config.target().ordinal());
    b.putDouble(hi)
        .putDouble(increment)
        .putDouble(s0)
        .putDouble(s1)
        .putDouble(s2)
        .putDouble(s3)
        .putDouble(sumSquares)
        .putLong(count)
        .putLong(accepted)
        .putLong(outliers)
        .putDouble(alertRate)
        .putDouble(outlierRate)
        .putInt(sinceRefresh);
    b.putDouble(median)
        .putDouble(mad)
        .putDouble(quantile90)
        .putDouble(quantile99)
        .putDouble(onlineThreshold)
        .putDouble(guard)
        .putDouble(normaliser)
        .putDouble(bandwidth)
        .putDouble(weightMin)
        .putDouble(weightMax);
    for (double v : bins) {
      b.putDouble(v);
    }
    for (double v : density) {
      b.putDouble(v);
    }
    return Arrays.copyOf(b.array(), b.position());
  }

  public static OnlineScoreStatistics fromBytes(byte[] bytes) {
    ByteBuffer b = ByteBuffer.wrap(bytes);
    int version = b.getInt();
    if (version != STATE_VERSION) {
      throw new IllegalArgumentException(
          "score statistics state version "
              + version
              + " is not readable by this "
              + "build (reads "
              + STATE_VERSION
              + ")");
    }
    Config c =
        new Config(
            b.getInt(),
            b.getDouble(),
            b.getDouble(),
            b.getLong(),
            b.getDouble(),
            b.getDouble(),
            b.getDouble(),
            b.getInt(),
            ScoreTarget.values()[b.getInt()]);
    OnlineScoreStatistics s = new OnlineScoreStatistics(c);
    s.hi = b.getDouble();
    s.increment = b.getDouble();
    s.s0 = b.getDouble();
    s.s1 = b.getDouble();
    s.s2 = b.getDouble();
    s.s3 = b.getDouble();
    s.sumSquares = b.getDouble();
    s.count = b.getLong();
    s.accepted = b.getLong();
    s.outliers = b.getLong();
    s.alertRate = b.getDouble();
    s.outlierRate = b.getDouble();
    s.sinceRefresh = b.getInt();
    s.median = b.getDouble();
    s.mad = b.getDouble();
    s.quantile90 = b.getDouble();
    s.quantile99 = b.getDouble();
    s.onlineThreshold = b.getDouble();
    s.guard = b.getDouble();
    s.normaliser = b.getDouble();
    s.bandwidth = b.getDouble();
    s.weightMin = b.getDouble();
    s.weightMax = b.getDouble();
    for (int i = 0; i < s.bins.length; i++) {
      s.bins[i] = b.getDouble();
    }
    for (int i = 0; i < s.density.length; i++) {
      s.density[i] = b.getDouble();
    }
    return s;
  }

  /**
   * A copy whose config is {@code next} where the new values apply to the same histogram (a restore
   * with changed settings): threshold level, weights, guard and warm-up change; the bin count must
   * not.
   */
  public OnlineScoreStatistics withConfig(Config next) {
    if (next.equals(config)) {
      return this;
    }
    if (next.bins() != config.bins() || next.halfLife() != config.halfLife()) {
      throw new IllegalArgumentException(
          "statistics bins/half-life changed ("
              + config.bins()
              + "/"
              + config.halfLife()
              + " -> "
              + next.bins()
              + "/"
              + next.halfLife()
              + "): the restored histogram cannot "
              + "be reused");
    }
    OnlineScoreStatistics out = fromBytes(toBytes(next)); // same histogram, new settings
    out.refresh();
    return out;
  }
}
