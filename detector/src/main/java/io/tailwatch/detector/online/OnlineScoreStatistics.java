package io.tailwatch.detector.online;

import io.tailwatch.detector.scoring.ScoreCalibration;
import io.tailwatch.detector.stats.GaussianKde;
import io.tailwatch.detector.stats.ScoreTarget;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Streaming statistics of one scope's (line x modality) image scores, ALGORITHMS.md §6: an
 * exponentially decayed sketch of the scores on log-spaced bins with decayed moments, the robust
 * location/scale from it, the observed density q (Gaussian KDE of log-scores, Silverman bandwidth),
 * a target p ({@link ScoreTarget}: §6's N(median, (1.4826 MAD)^2) or a variant), the importance
 * weight w(s) = clip(p(s)/q(s)) normalised to mean 1 under q, the (1 - alpha) quantile threshold,
 * and a drift detector.
 *
 * <p><b>What enters; how the threshold moves.</b> While warming up (until {@code minFrames} scores
 * entered), every score up to a guard of {@code median + outlierSigmas * max(1.4826 MAD, (q90 -
 * median) / 1.28)}, so a line's rare normal variants shape its first threshold. Once warmed up,
 * only the scores of frames that did not alert (§6.1: q is the density of non-alerting frames); a
 * frame that alerts is counted as censored mass above the threshold, without its score. The
 * threshold then moves two ways: it descends at once to the (1 - alpha) quantile of that censored
 * mixture when it is clearly lower, and it tracks the quantile by the share of alerting frames
 * (each frame outside drift moves it by {@value #QUANTILE_TRACKING_GAIN} x (recent alert share -
 * alpha) robust sigmas). So the scores of alerted frames never raise it; only an alert share above
 * alpha does, gradually, and not during drift. Drift: more than {@code driftShare} of the last
 * {@code driftWindow} frames judged by the line's own threshold alerted (alerts while warming up,
 * against the calibrated threshold, say how good the calibration is, not that the line moved). At
 * its onset the window's alerting frames are taken out of the sketch and the censored mass again
 * and the threshold returns to where it was at the window's start; while it lasts, alerting frames
 * are left out and the threshold does not track. A sustained defect run (a broken tool, a
 * contaminated batch) therefore keeps alerting; it is reported ({@link #drift()}), not absorbed,
 * and only an operator's {@link #acceptDrift()} lets a new look of normal in (the statistics warm
 * up again). The guard is never lifted. The threshold in force is bounded to {@code [minFactor,
 * maxFactor]} x the bank's calibrated threshold ({@link #threshold(double)}).
 *
 * <p><b>Sketch.</b> Scores fall into {@code bins} log-spaced bins of relative width {@value
 * #RELATIVE_BIN_WIDTH} (each bin [lo g^i, lo g^(i+1)), g = 1 + width), anchored around the first
 * score and shifted, never rescaled, when scores leave the window: a score 1,000x the usual takes
 * one bin of its own and leaves the resolution of the others as it was. Quantiles are accurate to
 * half a bin (0.5%) relative. Hand-written rather than a library's (t-digest, DDSketch): the
 * statistics need exponential decay (a growing increment, renormalised), the KDE of the importance
 * weights needs a dense regular grid, and the state is serialised into Flink savepoints in a format
 * of our own, so it must not change with a library upgrade. Decay: each new score has weight
 * 2^(1/halfLife) times the previous one. Derived figures (quantiles, weights, the descent) are
 * refreshed every {@code refreshEvery} scores, the tracking moves the threshold every frame; all of
 * it is serialised, so a restored copy continues identically.
 *
 * <p>Not thread safe. {@link #toBytes()} / {@link #fromBytes(byte[])} carry a format version; the
 * linear-bin format 1 of earlier releases is still read (converted on restore).
 */
public final class OnlineScoreStatistics {
  /** Serialised state format; bump and keep a reader for the old one when fields change. */
  public static final int STATE_VERSION = 2;

  static final double MAD_TO_SIGMA = 1.4826;

  /** Relative width of a sketch bin (quantiles are exact to half of it). */
  public static final double RELATIVE_BIN_WIDTH = 0.01;

  private static final double GROWTH_PER_BIN = 1 + RELATIVE_BIN_WIDTH;
  private static final double LOG_STEP = Math.log(GROWTH_PER_BIN);

  /** Scores below this are binned as this (squared distances of identical patches are 0). */
  private static final double MIN_BINNED = 1e-12;

  private static final double RENORMALISE_AT = 1e100;
  private static final int GUARD_MIN_SAMPLES = 30;

  /**
   * Per frame outside drift, the threshold moves by gain x (s - alpha) robust sigmas, s the share
   * of alerting frames among the recent frames outside drift (decayed, time constant half the drift
   * window): an integral controller on the alert share, at rest where alpha of the frames alert.
   * The one way it rises once warmed up: by the share of frames that alert, never by their scores.
   * The gain and time constant make it well damped near the quantile (damping ratio about 0.9 for a
   * Gaussian tail at alpha 1%), so it does not oscillate around it; a burst of alerts raises it by
   * about a sigma before it is recognised as drift, and that rise is rolled back at the onset. The
   * price: a rare normal variant far above the normal scores lifts it slowly (0.001 sigma per frame
   * at 3% alerts with alpha 1%); the bank updates, not the threshold, are what must learn it.
   */
  private static final double QUANTILE_TRACKING_GAIN = 0.05;

  /**
   * The data-driven descent (below) waits until the censored share is this many standard errors
   * below alpha, so that noise alone does not pull the threshold down.
   */
  private static final double DESCENT_MARGIN_SE = 2;

  /** The KDE kernel is cut at this many bandwidths (exp(-32): nothing a weight can see). */
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
      ScoreTarget target,
      double minFactor,
      double maxFactor,
      int driftWindow,
      double driftShare)
      implements java.io.Serializable {
    public static final double DEFAULT_MIN_FACTOR = 0.5;
    public static final double DEFAULT_MAX_FACTOR = 2;
    public static final int DEFAULT_DRIFT_WINDOW = 500;
    public static final double DEFAULT_DRIFT_SHARE = 0.1;
    public static final int DEFAULT_BINS = 2048;

    /** Default threshold bounds and drift detection. */
    public Config(
        int bins,
        double halfLife,
        double falseAlarmRate,
        long minFrames,
        double weightMin,
        double weightMax,
        double outlierSigmas,
        int refreshEvery,
        ScoreTarget target) {
      this(
          bins,
          halfLife,
          falseAlarmRate,
          minFrames,
          weightMin,
          weightMax,
          outlierSigmas,
          refreshEvery,
          target,
          DEFAULT_MIN_FACTOR,
          DEFAULT_MAX_FACTOR,
          DEFAULT_DRIFT_WINDOW,
          // above the false-alarm rate by a margin whatever it is
          Math.min(0.99, Math.max(DEFAULT_DRIFT_SHARE, 5 * falseAlarmRate)));
    }

    /** The robust target, default threshold bounds and drift detection. */
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
      if (bins < 256 || bins > 65536) {
        throw new IllegalArgumentException("statistics bins must be in [256, 65536], was " + bins);
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
      if (!(minFactor > 0 && minFactor <= 1)) {
        throw new IllegalArgumentException(
            "threshold min-factor must be in (0, 1], was " + minFactor);
      }
      if (!(maxFactor >= 1 && maxFactor <= 100)) {
        throw new IllegalArgumentException(
            "threshold max-factor must be in [1, 100], was " + maxFactor);
      }
      if (driftWindow < 10 || driftWindow > 100_000) {
        throw new IllegalArgumentException(
            "drift window must be in [10, 100000] frames, was " + driftWindow);
      }
      if (!(driftShare > falseAlarmRate && driftShare < 1)) {
        throw new IllegalArgumentException(
            "drift share must be in (false-alarm rate "
                + falseAlarmRate
                + ", 1), was "
                + driftShare);
      }
    }

    public static Config defaults() {
      return new Config(DEFAULT_BINS, 2000, 0.01, 200, 0.1, 10, 8, 16);
    }
  }

  /**
   * The drift detector's view: {@code active} while more than the drift share of the last {@code
   * window} frames alerted (it ends once the share is back at half of that); {@code since}: the
   * frame count at which the current (or last) drift began, -1 if none yet; {@code medianScore},
   * {@code maxScore}: of the window's scores.
   */
  public record Drift(
      boolean active,
      double share,
      int window,
      long since,
      long events,
      double medianScore,
      double maxScore) {}

  private final Config config;
  private final double growth; // per-score growth of the increment (the inverse decay factor)
  // the sketch: bin i holds scores in [lo g^i, lo g^(i+1)); lo = 0 until the first score
  private double lo;
  private final double[] bins;
  private double increment = 1;
  private double s0;
  private double s1;
  private double s2;
  private double s3;
  private double sumSquares; // of increments: effective sample size (s0^2 / sumSquares)
  private long count; // scores offered
  private long accepted; // scores that entered the sketch
  private long outliers; // scores above the guard
  private long excluded; // alerting frames kept out because the line was in drift
  private double censored; // decayed mass of frames that alerted once warmed up (scores unknown)
  private double censoredSquares; // of the censored increments (effective count)
  private long censoredCount;
  private boolean started; // the online threshold is tracked (min-frames reached)
  private double trackedShare; // decayed share of alerting frames outside drift, once started
  private double alertRate; // decayed fraction of offered scores that alerted
  private int sinceRefresh;
  private boolean acceptingDrift; // an operator accepted a drift; warming up again
  // drift window: the last driftWindow frames' scores and alert flags (ring)
  private final double[] windowScores;
  private final double[] windowIncrements; // added to the sketch (> 0), censored (< 0), or 0
  private final double[] windowThresholds; // the online threshold each frame was judged by (or NaN)
  private final double[] windowShares; // the tracked alert share before each frame
  private final long[] windowAlerts;
  private int windowFill;
  private int windowNext;
  private int windowAlertCount;
  private boolean drifting;
  private long driftSince = -1;
  private long driftEvents;
  // derived at the last refresh
  private double median = Double.NaN;
  private double mad = Double.NaN;
  private double quantile90 = Double.NaN;
  private double quantile99 = Double.NaN;
  private double onlineThreshold = Double.NaN;
  private double guard = Double.POSITIVE_INFINITY;
  private double normaliser = 1;
  private double bandwidth = Double.NaN; // of the KDE of log-scores
  private final double[] density; // density of log-scores at the bin centres
  private double weightMin = Double.NaN;
  private double weightMax = Double.NaN;

  public OnlineScoreStatistics(Config config) {
    this.config = config;
    this.growth = Math.pow(2, 1 / config.halfLife());
    this.bins = new double[config.bins()];
    this.density = new double[config.bins()];
    this.windowScores = new double[config.driftWindow()];
    this.windowIncrements = new double[config.driftWindow()];
    this.windowThresholds = new double[config.driftWindow()];
    this.windowShares = new double[config.driftWindow()];
    this.windowAlerts = new long[(config.driftWindow() + 63) / 64];
  }

  public Config config() {
    return config;
  }

  /**
   * Adds a frame's score. Returns whether the score entered the sketch: while warming up every
   * score up to the guard does; once warmed up, the scores of frames that did not alert (and are
   * under the guard). A frame that alerts once warmed up is counted as censored mass, above the
   * threshold, without its score, and not at all while the line is in drift ({@link #drift()}).
   */
  public boolean add(double score, boolean alerted) {
    if (!Double.isFinite(score)) {
      throw new IllegalArgumentException("score must be finite, was " + score);
    }
    double s = Math.max(0, score);
    count++;
    double decay = 1 / growth;
    alertRate = alertRate * decay + (alerted ? 1 - decay : 0);
    // the drift window watches frames judged by the line's own threshold: while warming up, alerts
    // against the calibrated threshold say how good the calibration is, not that the line moved
    boolean watched = started;
    boolean onset = watched && recordInWindow(s, alerted);
    if (onset) {
      takeOutAlertedFramesOfTheWindow();
    }
    boolean aboveGuard = s > guard;
    boolean enters = false;
    if (alerted && drifting) {
      excluded++;
    } else if (alerted && started) {
      grow();
      censored += increment;
      censoredSquares += increment * increment;
      censoredCount++;
      windowIncrements[lastSlot()] = -increment; // started, so watched
    } else if (!aboveGuard) {
      enters = true;
      grow();
      accepted++;
      bins[binOf(s)] += increment;
      s0 += increment;
      s1 += increment * s;
      s2 += increment * s * s;
      s3 += increment * s * s * s;
      sumSquares += increment * increment;
      if (watched) {
        windowIncrements[lastSlot()] = increment;
      }
    } else {
      outliers++;
    }
    if (started && !drifting) {
      double keep = Math.exp(-2.0 / config.driftWindow());
      trackedShare = trackedShare * keep + (alerted ? 1 - keep : 0);
      onlineThreshold +=
          QUANTILE_TRACKING_GAIN * (trackedShare - config.falseAlarmRate()) * robustSigma();
    }
    if (++sinceRefresh >= config.refreshEvery() || Double.isNaN(median) || onset) {
      refresh();
    }
    if (acceptingDrift && warmedUp()) {
      acceptingDrift = false;
    }
    return enters;
  }

  private void grow() {
    if (s0 + censored > 0) {
      increment *= growth;
    }
    if (increment > RENORMALISE_AT) {
      renormalise();
    }
  }

  private int lastSlot() {
    return (windowNext - 1 + windowScores.length) % windowScores.length;
  }

  /**
   * At a drift's onset: the window's alerting frames leave the sketch (their decayed weight and
   * moments are subtracted) or the censored mass, and the threshold returns to where it was at the
   * window's start if it rose since.
   */
  private void takeOutAlertedFramesOfTheWindow() {
    for (int i = 0; i < windowFill; i++) {
      double inc = windowIncrements[i];
      if (inc != 0 && bit(i)) {
        if (inc < 0) {
          censored = Math.max(0, censored + inc);
          censoredSquares = Math.max(0, censoredSquares - inc * inc);
        } else {
          double v = windowScores[i];
          int b = binOf(v);
          bins[b] = Math.max(0, bins[b] - inc);
          s0 = Math.max(0, s0 - inc);
          s1 -= inc * v;
          s2 -= inc * v * v;
          s3 -= inc * v * v * v;
          sumSquares = Math.max(0, sumSquares - inc * inc);
        }
        windowIncrements[i] = 0;
        excluded++;
      }
    }
    int oldest = windowNext % windowThresholds.length;
    double atWindowStart = windowThresholds[oldest];
    if (started && Double.isFinite(atWindowStart)) {
      onlineThreshold = Math.min(onlineThreshold, atWindowStart);
      trackedShare = Math.min(trackedShare, windowShares[oldest]);
    }
  }

  /** Records the frame in the drift window; true at a drift's onset. */
  private boolean recordInWindow(double s, boolean alerted) {
    int n = windowScores.length;
    int at = windowNext;
    if (windowFill == n && bit(at)) {
      windowAlertCount--;
    }
    windowScores[at] = s;
    windowIncrements[at] = 0;
    windowThresholds[at] = started ? onlineThreshold : Double.NaN;
    windowShares[at] = trackedShare;
    setBit(at, alerted);
    if (alerted) {
      windowAlertCount++;
    }
    windowNext = (at + 1) % n;
    windowFill = Math.min(n, windowFill + 1);
    if (windowFill == n) {
      double share = windowAlertCount / (double) n;
      if (!drifting && share > config.driftShare()) {
        drifting = true;
        driftSince = count;
        driftEvents++;
        return true;
      } else if (drifting && share <= config.driftShare() / 2) {
        drifting = false;
      }
    }
    return false;
  }

  private boolean bit(int i) {
    return (windowAlerts[i >> 6] & (1L << (i & 63))) != 0;
  }

  private void setBit(int i, boolean on) {
    if (on) {
      windowAlerts[i >> 6] |= 1L << (i & 63);
    } else {
      windowAlerts[i >> 6] &= ~(1L << (i & 63));
    }
  }

  /** The sketch bin of a score, anchoring or shifting the window when needed. */
  private int binOf(double score) {
    double s = Math.max(MIN_BINNED, score);
    int n = bins.length;
    if (lo == 0) {
      lo = s / Math.pow(GROWTH_PER_BIN, n / 2.0); // the first score in the middle
    }
    double pos = Math.log(s / lo) / LOG_STEP;
    if (pos >= n) {
      int need = (int) Math.min(Integer.MAX_VALUE / 2, Math.floor(pos) - n + 1 + n / 8);
      if (need < n && emptyBelow(need)) {
        shift(need);
        pos -= need;
      }
    } else if (pos < 0) {
      int need = (int) Math.min(Integer.MAX_VALUE / 2, Math.ceil(-pos) + n / 8);
      if (need < n && emptyAbove(n - need)) {
        shift(-need);
        pos += need;
      }
    }
    return (int) Math.max(0, Math.min(n - 1, Math.floor(pos)));
  }

  private boolean emptyBelow(int k) {
    for (int i = 0; i < k; i++) {
      if (bins[i] != 0) {
        return false;
      }
    }
    return true;
  }

  private boolean emptyAbove(int from) {
    for (int i = from; i < bins.length; i++) {
      if (bins[i] != 0) {
        return false;
      }
    }
    return true;
  }

  /** Moves the window k bins up (k > 0) or down; only over empty bins (callers check). */
  private void shift(int k) {
    int n = bins.length;
    double[] moved = new double[n];
    for (int i = 0; i < n; i++) {
      int j = i - k;
      if (j >= 0 && j < n) {
        moved[j] = bins[i];
      }
    }
    System.arraycopy(moved, 0, bins, 0, n);
    lo *= Math.pow(GROWTH_PER_BIN, k);
    Arrays.fill(density, 0); // recomputed at the next refresh
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
    censored *= f;
    censoredSquares *= f * f;
    for (int i = 0; i < windowIncrements.length; i++) {
      windowIncrements[i] *= f;
    }
    increment = 1;
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
    double p = 1 - config.falseAlarmRate();
    if (!started) {
      onlineThreshold = quantileOfHistogram(p);
      started = accepted >= config.minFrames();
      trackedShare = config.falseAlarmRate();
    } else {
      // descends at once to the (1 - alpha) quantile of the non-alerting scores with the alerted
      // ones counted above it, when that is clearly lower (the tracking alone would take long)
      onlineThreshold = Math.min(onlineThreshold, descentTarget(p));
    }
    double sigma = robustSigma();
    // the guard's scale: the robust sigma, or the upper spread (q90 - median) / z(0.9) when that is
    // wider: a sharp majority mode with a long normal tail has a tiny MAD, and a guard from it
    // alone
    // would cut the tail off the first threshold
    double upperSpread = (quantile90 - median) / 1.2816;
    guard =
        accepted >= GUARD_MIN_SAMPLES
            ? median + config.outlierSigmas() * Math.max(sigma, upperSpread)
            : Double.POSITIVE_INFINITY;
    // Silverman on the log-scores: 0.9 min(sd, IQR/1.34) n_eff^(-1/5), at least one bin wide
    double iqr = Math.log(quantileOfHistogram(0.75) / quantileOfHistogram(0.25));
    bandwidth =
        Math.max(
            LOG_STEP,
            GaussianKde.silvermanBandwidth(logStandardDeviation(), iqr, effectiveCount()));
    if (!Double.isFinite(bandwidth)) {
      bandwidth = LOG_STEP;
    }
    double[] smoothed = GaussianKde.onGrid(bins, LOG_STEP, bandwidth, s0, KDE_CUTOFF_SIGMAS);
    System.arraycopy(smoothed, 0, density, 0, density.length);
    // normalise so the mean weight under the observed distribution is 1 (before the final clip)
    double mean = 0;
    for (int b = 0; b < bins.length; b++) {
      if (bins[b] > 0) {
        double c = centre(b);
        mean += bins[b] / s0 * rawWeight(c, density[b] / c);
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

  /**
   * The p-quantile of the scores with the censored mass counted above every score in the sketch;
   * +infinity (no descent) while the censored share is within {@link #DESCENT_MARGIN_SE} standard
   * errors of 1 - p or above it.
   */
  private double descentTarget(double p) {
    double all = s0 + censored;
    if (all <= 0) {
      return Double.POSITIVE_INFINITY;
    }
    double share = censored / all;
    double n = all * all / (sumSquares + censoredSquares);
    double se = Math.sqrt(p * (1 - p) / Math.max(1, n));
    if (share >= (1 - p) - DESCENT_MARGIN_SE * se) {
      return Double.POSITIVE_INFINITY;
    }
    return quantileAtMass(p * all);
  }

  private double logStandardDeviation() {
    double m1 = 0;
    double m2 = 0;
    for (int b = 0; b < bins.length; b++) {
      if (bins[b] > 0) {
        double u = (b + 0.5) * LOG_STEP;
        m1 += bins[b] * u;
        m2 += bins[b] * u * u;
      }
    }
    m1 /= s0;
    return Math.sqrt(Math.max(0, m2 / s0 - m1 * m1));
  }

  private double centre(int b) {
    return lo * Math.pow(GROWTH_PER_BIN, b + 0.5);
  }

  private double edge(double pos) {
    return lo * Math.pow(GROWTH_PER_BIN, pos);
  }

  /** Upper edge of the highest non-empty bin (0 when empty). */
  private double top() {
    for (int b = bins.length - 1; b >= 0; b--) {
      if (bins[b] > 0) {
        return edge(b + 1);
      }
    }
    return 0;
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
    return sigma > 0 ? sigma : Math.max(median, MIN_BINNED) * RELATIVE_BIN_WIDTH;
  }

  /**
   * Target density p(s): N(median, (1.4826 MAD)^2), or N(mean, sd^2) with {@link
   * ScoreTarget#MOMENT}, or 1/top over [0, top) with {@link ScoreTarget#FLAT} (top: the upper edge
   * of the highest occupied bin).
   */
  public double target(double s) {
    if (config.target() == ScoreTarget.FLAT) {
      double top = top();
      return top > 0 ? 1 / top : 0;
    }
    boolean moment = config.target() == ScoreTarget.MOMENT;
    double sigma =
        switch (config.target()) {
          case MOMENT ->
              Math.max(standardDeviation(), Math.max(mean(), MIN_BINNED) * RELATIVE_BIN_WIDTH);
          case QUANTILE -> quantileSigma();
          default -> robustSigma();
        };
    double z = (s - (moment ? mean() : median)) / sigma;
    return Math.exp(-0.5 * z * z) / (sigma * Math.sqrt(2 * Math.PI));
  }

  /**
   * Observed density q(s) of the scores: the KDE of log-scores at the bin centres, linearly
   * interpolated, divided by s.
   */
  public double observed(double s) {
    if (lo == 0 || !(s > 0)) {
      return 0;
    }
    double pos = Math.log(s / lo) / LOG_STEP - 0.5;
    double f;
    if (pos <= 0) {
      f = pos < -KDE_CUTOFF_SIGMAS * bandwidth / LOG_STEP ? 0 : density[0];
    } else if (pos >= bins.length - 1) {
      f = density[bins.length - 1];
    } else {
      int i = (int) pos;
      double t = pos - i;
      f = density[i] * (1 - t) + density[i + 1] * t;
    }
    return f / s;
  }

  private double rawWeight(double s, double q) {
    double floor = 1e-12 / Math.max(top(), 1e-12);
    return clip(target(s) / Math.max(q, floor));
  }

  private double clip(double w) {
    return Math.min(config.weightMax(), Math.max(config.weightMin(), w));
  }

  /**
   * The importance weight of a score: p/q, clipped to [weightMin, weightMax], divided by its mean
   * under the observed distribution, clipped again. 1 until the sketch holds anything.
   */
  public double weight(double score) {
    if (Double.isNaN(median) || s0 <= 0) {
      return 1;
    }
    return clip(rawWeight(score, observed(score)) / normaliser);
  }

  /**
   * The threshold in force: the (1 - alpha) quantile of the observed distribution once {@code
   * minFrames} scores entered it, bounded to [min-factor, max-factor] x {@code calibrated}; before
   * that {@code calibrated} (the bank's calibrated threshold). A non-finite {@code calibrated}
   * bounds nothing.
   */
  public double threshold(double calibrated) {
    if (!warmedUp()) {
      return calibrated;
    }
    if (!Double.isFinite(calibrated)) {
      return onlineThreshold;
    }
    return Math.max(
        calibrated * config.minFactor(),
        Math.min(calibrated * config.maxFactor(), onlineThreshold));
  }

  /**
   * Whether the online threshold is in force: min-frames reached (again, after an accepted drift).
   */
  public boolean warmedUp() {
    return started && Double.isFinite(onlineThreshold);
  }

  /** The drift detector's state after the last frame. */
  public Drift drift() {
    int n = windowFill;
    double[] recent = new double[n];
    for (int i = 0; i < n; i++) {
      recent[i] = windowScores[(windowNext - n + i + windowScores.length) % windowScores.length];
    }
    Arrays.sort(recent);
    return new Drift(
        drifting,
        n == 0 ? 0 : windowAlertCount / (double) n,
        n,
        driftSince,
        driftEvents,
        n == 0 ? Double.NaN : recent[n / 2],
        n == 0 ? Double.NaN : recent[n - 1]);
  }

  /**
   * Whether more than the drift share of the last drift-window frames alerted (see {@link
   * #drift()}).
   */
  public boolean drifting() {
    return drifting;
  }

  /**
   * An operator accepted the drift: what the line produces now is normal. The sketch and drift
   * window start again; until min-frames scores entered, the threshold is the calibrated one
   * (bounded later by max-factor) and {@link #acceptingDrift()} is true, so frames that alert may
   * still be sampled for bank updates.
   */
  public void acceptDrift() {
    lo = 0;
    Arrays.fill(bins, 0);
    Arrays.fill(density, 0);
    increment = 1;
    s0 = s1 = s2 = s3 = sumSquares = censored = censoredSquares = trackedShare = 0;
    started = false;
    accepted = 0;
    Arrays.fill(windowAlerts, 0);
    Arrays.fill(windowIncrements, 0);
    windowFill = windowNext = windowAlertCount = 0;
    drifting = false;
    median = mad = quantile90 = quantile99 = onlineThreshold = bandwidth = Double.NaN;
    weightMin = weightMax = Double.NaN;
    guard = Double.POSITIVE_INFINITY;
    normaliser = 1;
    acceptingDrift = true;
  }

  /** True from {@link #acceptDrift()} until warmed up again. */
  public boolean acceptingDrift() {
    return acceptingDrift;
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

  /** Decayed fraction of the sketch's mass below x (log-linear within a bin). */
  public double cdf(double x) {
    if (s0 <= 0) {
      return Double.NaN;
    }
    if (x <= 0) {
      return 0;
    }
    double pos = Math.log(x / lo) / LOG_STEP;
    if (pos <= 0) {
      return 0;
    }
    if (pos >= bins.length) {
      return 1;
    }
    int b = (int) pos;
    double below = 0;
    for (int i = 0; i < b; i++) {
      below += bins[i];
    }
    below += bins[b] * (pos - b);
    return Math.min(1, below / s0);
  }

  /** Decayed p-quantile of the sketch (log-linear within a bin). */
  public double quantileOfHistogram(double p) {
    if (s0 <= 0) {
      return Double.NaN;
    }
    return quantileAtMass(p * s0);
  }

  private double quantileAtMass(double target) {
    double acc = 0;
    for (int b = 0; b < bins.length; b++) {
      if (acc + bins[b] >= target && bins[b] > 0) {
        return edge(b + (target - acc) / bins[b]);
      }
      acc += bins[b];
    }
    return top();
  }

  private double medianAbsoluteDeviation(double m) {
    double low = 0;
    double up = Math.max(m, top());
    for (int i = 0; i < 60; i++) {
      double d = (low + up) / 2;
      if (cdf(m + d) - cdf(m - d) >= 0.5) {
        up = d;
      } else {
        low = d;
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

  /** Decayed moment skewness E[(s - mean)^3] / sd^3 of the scores in the sketch. */
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

  /** Decayed weight of the scores in the sketch (effective number of recent frames). */
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

  /**
   * Frames that alerted once warmed up and outside drift: counted above the threshold, unscored.
   */
  public long censoredCount() {
    return censoredCount;
  }

  /** Alerting frames kept out of the sketch because the line was in drift. */
  public long excluded() {
    return excluded;
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
    int n = bins.length;
    ByteBuffer b =
        ByteBuffer.allocate(
            512 // config, sketch state, counters, drift state, derived figures: under 400 bytes
                + 16 * n
                + 32 * windowScores.length
                + 8 * windowAlerts.length);
    b.putInt(STATE_VERSION);
    b.putInt(config.bins())
        .putDouble(config.halfLife())
        .putDouble(config.falseAlarmRate())
        .putLong(config.minFrames())
        .putDouble(config.weightMin())
        .putDouble(config.weightMax())
        .putDouble(config.outlierSigmas())
        .putInt(config.refreshEvery())
        .putInt(config.target().ordinal())
        .putDouble(config.minFactor())
        .putDouble(config.maxFactor())
        .putInt(config.driftWindow())
        .putDouble(config.driftShare());
    b.putDouble(lo)
        .putDouble(increment)
        .putDouble(s0)
        .putDouble(s1)
        .putDouble(s2)
        .putDouble(s3)
        .putDouble(sumSquares)
        .putDouble(alertRate)
        .putLong(count)
        .putLong(accepted)
        .putLong(outliers)
        .putLong(excluded)
        .putDouble(censored)
        .putDouble(censoredSquares)
        .putLong(censoredCount)
        .put((byte) (started ? 1 : 0))
        .putDouble(trackedShare)
        .putInt(sinceRefresh)
        .put((byte) (acceptingDrift ? 1 : 0));
    b.putInt(windowFill)
        .putInt(windowNext)
        .putInt(windowAlertCount)
        .put((byte) (drifting ? 1 : 0))
        .putLong(driftSince)
        .putLong(driftEvents);
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
    for (double[] array : arrays()) {
      b.asDoubleBuffer().put(array);
      b.position(b.position() + 8 * array.length);
    }
    for (long v : windowAlerts) {
      b.putLong(v);
    }
    return Arrays.copyOf(b.array(), b.position());
  }

  /** The state's double arrays, in their serialised order. */
  private double[][] arrays() {
    return new double[][] {
      bins, density, windowScores, windowIncrements, windowThresholds, windowShares
    };
  }

  public static OnlineScoreStatistics fromBytes(byte[] bytes) {
    ByteBuffer b = ByteBuffer.wrap(bytes);
    int version = b.getInt();
    if (version == 1) {
      return fromVersion1(b);
    }
    if (version != STATE_VERSION) {
      throw new IllegalArgumentException(
          "score statistics state version "
              + version
              + " is not readable by this build (reads 1 and "
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
            ScoreTarget.values()[b.getInt()],
            b.getDouble(),
            b.getDouble(),
            b.getInt(),
            b.getDouble());
    OnlineScoreStatistics s = new OnlineScoreStatistics(c);
    s.lo = b.getDouble();
    s.increment = b.getDouble();
    s.s0 = b.getDouble();
    s.s1 = b.getDouble();
    s.s2 = b.getDouble();
    s.s3 = b.getDouble();
    s.sumSquares = b.getDouble();
    s.alertRate = b.getDouble();
    s.count = b.getLong();
    s.accepted = b.getLong();
    s.outliers = b.getLong();
    s.excluded = b.getLong();
    s.censored = b.getDouble();
    s.censoredSquares = b.getDouble();
    s.censoredCount = b.getLong();
    s.started = b.get() != 0;
    s.trackedShare = b.getDouble();
    s.sinceRefresh = b.getInt();
    s.acceptingDrift = b.get() != 0;
    s.windowFill = b.getInt();
    s.windowNext = b.getInt();
    s.windowAlertCount = b.getInt();
    s.drifting = b.get() != 0;
    s.driftSince = b.getLong();
    s.driftEvents = b.getLong();
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
    for (double[] array : s.arrays()) {
      b.asDoubleBuffer().get(array);
      b.position(b.position() + 8 * array.length);
    }
    for (int i = 0; i < s.windowAlerts.length; i++) {
      s.windowAlerts[i] = b.getLong();
    }
    return s;
  }

  /**
   * Format 1 (equal-width bins over [0, hi), no drift window): each old bin's mass is placed at its
   * centre in a sketch with the default number of bins and default bounds and drift settings;
   * moments and counts carry over, the derived figures are recomputed.
   */
  private static OnlineScoreStatistics fromVersion1(ByteBuffer b) {
    int oldBins = b.getInt();
    Config c =
        new Config(
            Config.DEFAULT_BINS,
            b.getDouble(),
            b.getDouble(),
            b.getLong(),
            b.getDouble(),
            b.getDouble(),
            b.getDouble(),
            b.getInt(),
            ScoreTarget.values()[b.getInt()]);
    OnlineScoreStatistics s = new OnlineScoreStatistics(c);
    double hi = b.getDouble();
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
    b.getDouble(); // outlier rate: the guard is no longer lifted
    b.getInt(); // since refresh
    b.position(b.position() + 8 * 10); // derived figures: recomputed
    double[] old = new double[oldBins];
    for (int i = 0; i < oldBins; i++) {
      old[i] = b.getDouble();
    }
    double median = Double.NaN;
    double acc = 0;
    for (int i = 0; i < oldBins && Double.isNaN(median); i++) {
      acc += old[i];
      if (acc >= s.s0 / 2 && old[i] > 0) {
        median = (i + 0.5) * hi / oldBins;
      }
    }
    if (!Double.isNaN(median)) {
      s.binOf(median); // anchor the sketch on the median
      for (int i = 0; i < oldBins; i++) {
        if (old[i] > 0) {
          s.bins[s.binOf((i + 0.5) * hi / oldBins)] += old[i];
        }
      }
    }
    s.refresh();
    return s;
  }

  /**
   * A copy whose config is {@code next} where the new values apply to the same sketch (a restore
   * with changed settings): threshold level and bounds, weights, guard, warm-up and drift change;
   * the bin count and half-life must not (a changed drift window starts empty).
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
              + "): the restored sketch cannot be reused");
    }
    OnlineScoreStatistics out = new OnlineScoreStatistics(next);
    out.copyFrom(this);
    out.refresh();
    return out;
  }

  /** Everything but the config; the drift window only when it has the same size. */
  private void copyFrom(OnlineScoreStatistics o) {
    lo = o.lo;
    System.arraycopy(o.bins, 0, bins, 0, bins.length);
    System.arraycopy(o.density, 0, density, 0, density.length);
    increment = o.increment;
    s0 = o.s0;
    s1 = o.s1;
    s2 = o.s2;
    s3 = o.s3;
    sumSquares = o.sumSquares;
    count = o.count;
    accepted = o.accepted;
    outliers = o.outliers;
    excluded = o.excluded;
    censored = o.censored;
    censoredSquares = o.censoredSquares;
    censoredCount = o.censoredCount;
    started = o.started;
    trackedShare = o.trackedShare;
    alertRate = o.alertRate;
    sinceRefresh = o.sinceRefresh;
    acceptingDrift = o.acceptingDrift;
    driftSince = o.driftSince;
    driftEvents = o.driftEvents;
    if (o.windowScores.length == windowScores.length) {
      System.arraycopy(o.windowScores, 0, windowScores, 0, windowScores.length);
      System.arraycopy(o.windowIncrements, 0, windowIncrements, 0, windowIncrements.length);
      System.arraycopy(o.windowThresholds, 0, windowThresholds, 0, windowThresholds.length);
      System.arraycopy(o.windowShares, 0, windowShares, 0, windowShares.length);
      System.arraycopy(o.windowAlerts, 0, windowAlerts, 0, windowAlerts.length);
      windowFill = o.windowFill;
      windowNext = o.windowNext;
      windowAlertCount = o.windowAlertCount;
      drifting = o.drifting;
    }
    median = o.median;
    mad = o.mad;
    quantile90 = o.quantile90;
    quantile99 = o.quantile99;
    onlineThreshold = o.onlineThreshold;
    guard = o.guard;
    normaliser = o.normaliser;
    bandwidth = o.bandwidth;
    weightMin = o.weightMin;
    weightMax = o.weightMax;
  }
}
