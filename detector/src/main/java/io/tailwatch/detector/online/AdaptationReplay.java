package io.tailwatch.detector.online;

import io.tailwatch.detector.bank.MemoryBank;
import io.tailwatch.detector.image.FloatImage;
import io.tailwatch.detector.scoring.Detection;
import io.tailwatch.detector.scoring.PatchCoreDetector;
import io.tailwatch.detector.util.Progress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The online adaptation loop of ALGORITHMS.md §6 replayed frame by frame in one thread, with the
 * same parts and the same decisions as the streaming job ({@link OnlineDecision}: threshold from
 * {@link OnlineScoreStatistics}, non-alerting frames offered to a {@link WeightedReservoir} with
 * weight w(s) or 1; {@link BankMerger} every {@code updateEvery} frames, the new bank swapped in
 * between batches). What the job decides by wall clock (update intervals, which frames share a
 * batch with an update) is fixed here by frame counts, so two runs with the same seed give the same
 * figures: the job's {@code OnlineAdaptationITCase} cannot separate the weighting from timing
 * noise, this can.
 *
 * <p>One scope (one line, one modality), one reservoir (the job has one per subtask, merged by the
 * builder).
 */
public final class AdaptationReplay {
  private AdaptationReplay() {}

  /**
   * A frame of the replayed stream; {@code group} names what it is for the report (e.g. normal,
   * rare, defect).
   */
  public record Frame(FloatImage image, String group, boolean defective) {}

  /**
   * @param adaptiveThreshold the (1 - alpha) quantile of the statistics after min-frames (true), or
   *     the bank's calibrated threshold throughout (false)
   * @param gaussianWeighting reservoir priority with w(s) (true) or w = 1 (uniform)
   * @param updateEvery frames between bank updates (the job's {@code bank-update.interval} x frame
   *     rate)
   * @param weightExponent the reservoir's priority weight is w(s)^exponent ({@link OnlineDecision})
   * @param resolutionQuantile the merge's covered distance is this quantile of the initial bank's
   *     spacing ({@link BankMerger#resolution2}; 0 = only exact copies are covered)
   */
  public record Settings(
      OnlineScoreStatistics.Config statistics,
      boolean adaptiveThreshold,
      boolean gaussianWeighting,
      int sampleFrames,
      int patchesPerFrame,
      int updateEvery,
      int maxAdded,
      int maxBankSize,
      int batch,
      long seed,
      double weightExponent,
      double resolutionQuantile) {
    /** Untempered weights (exponent 1), as §6 states them, and the default resolution. */
    public Settings(
        OnlineScoreStatistics.Config statistics,
        boolean adaptiveThreshold,
        boolean gaussianWeighting,
        int sampleFrames,
        int patchesPerFrame,
        int updateEvery,
        int maxAdded,
        int maxBankSize,
        int batch,
        long seed) {
      this(
          statistics,
          adaptiveThreshold,
          gaussianWeighting,
          sampleFrames,
          patchesPerFrame,
          updateEvery,
          maxAdded,
          maxBankSize,
          batch,
          seed,
          1,
          BankMerger.DEFAULT_RESOLUTION_QUANTILE);
    }

    public Settings {
      OnlineDecision.checkExponent(weightExponent);
      if (BankMerger.quantileProblem(resolutionQuantile) != null) {
        throw new IllegalArgumentException(
            "resolution quantile " + BankMerger.quantileProblem(resolutionQuantile));
      }
      if (statistics == null) {
        throw new IllegalArgumentException("statistics config is required");
      }
      if (sampleFrames < 1
          || patchesPerFrame < 1
          || updateEvery < 1
          || maxAdded < 1
          || maxBankSize < 1
          || batch < 1) {
        throw new IllegalArgumentException(
            "sample-frames, patches-per-frame, update-every, max-added, "
                + "max-bank-size and batch must be >= 1, were "
                + sampleFrames
                + ", "
                + patchesPerFrame
                + ", "
                + updateEvery
                + ", "
                + maxAdded
                + ", "
                + maxBankSize
                + ", "
                + batch);
      }
    }
  }

  /**
   * What happened to one frame: its score, the threshold it was judged by, its weight (1 when
   * uniform), and the skewness the scope's statistics report once its score entered (what the job
   * publishes on the statistics topic: decayed, scores above the outlier guard left out), and
   * whether its line is in drift once its score entered.
   */
  public record Outcome(
      int index,
      String group,
      boolean defective,
      double score,
      double threshold,
      boolean alerted,
      double weight,
      String bankVersion,
      double statisticsSkewness,
      boolean drift) {}

  /**
   * One bank update: how many sampled frames of each group it drew on, vectors added, bank size,
   * threshold.
   */
  public record Update(
      int afterFrame,
      String version,
      Map<String, Integer> sampledByGroup,
      int added,
      int bankSize,
      double threshold) {}

  public record Result(List<Outcome> outcomes, List<Update> updates) {
    /** Frames in [from, to) at which a drift began (the first frame in drift of each run). */
    public List<Integer> driftOnsets(int from, int to) {
      List<Integer> out = new ArrayList<>();
      for (int i = Math.max(1, from); i < to; i++) {
        if (outcomes.get(i).drift() && !outcomes.get(i - 1).drift()) {
          out.add(i);
        }
      }
      if (from == 0 && !outcomes.isEmpty() && outcomes.get(0).drift()) {
        out.add(0, 0);
      }
      return out;
    }

    /**
     * Alert rate of {@code group} over frames [from, to): false alarms for a normal group, recall
     * for defects.
     */
    public double alertRate(String group, int from, int to) {
      int n = count(group, from, to);
      return n == 0 ? Double.NaN : alerts(group, from, to) / (double) n;
    }

    /** Frames of {@code group} in [from, to) that alerted. */
    public int alerts(String group, int from, int to) {
      return (int)
          outcomes.subList(from, to).stream()
              .filter(o -> o.group().equals(group) && o.alerted())
              .count();
    }

    public int count(String group, int from, int to) {
      return (int) outcomes.subList(from, to).stream().filter(o -> o.group().equals(group)).count();
    }

    /** Moment skewness of the scores of non-defective frames in [from, to). */
    public double normalSkewness(int from, int to) {
      return skewness(
          outcomes.subList(from, to).stream()
              .filter(o -> !o.defective())
              .mapToDouble(Outcome::score)
              .toArray());
    }

    /**
     * Moment skewness of the scores of {@code group}'s frames in [from, to) (e.g. the majority
     * alone).
     */
    public double skewness(String group, int from, int to) {
      return skewness(
          outcomes.subList(from, to).stream()
              .filter(o -> o.group().equals(group))
              .mapToDouble(Outcome::score)
              .toArray());
    }

    private static double skewness(double[] s) {
      double mean = 0;
      for (double v : s) {
        mean += v / s.length;
      }
      double m2 = 0;
      double m3 = 0;
      for (double v : s) {
        m2 += (v - mean) * (v - mean) / s.length;
        m3 += (v - mean) * (v - mean) * (v - mean) / s.length;
      }
      return m2 > 0 ? m3 / Math.pow(m2, 1.5) : 0;
    }

    /**
     * Mean weight of the frames of {@code group} offered to the reservoir (non-alerting) in [from,
     * to).
     */
    public double meanOfferedWeight(String group, int from, int to) {
      return outcomes.subList(from, to).stream()
          .filter(o -> o.group().equals(group) && !o.alerted())
          .mapToDouble(Outcome::weight)
          .average()
          .orElse(Double.NaN);
    }
  }

  /** A sampled frame: its group (for the report) and its highest-scoring patches. */
  private record Candidate(String group, Detection.TopPatches patches) {}

  /**
   * Replays {@code frames} through {@code detector}, starting from {@code initialBank} (swapped in
   * first; the detector holds the last version afterwards).
   *
   * @param floorThreshold the bank's calibrated threshold: before min-frames, and throughout when
   *     not adaptive
   */
  public static Result run(
      PatchCoreDetector detector,
      MemoryBank initialBank,
      double floorThreshold,
      List<Frame> frames,
      Settings settings,
      Progress progress)
      throws Exception {
    detector.swapBank(initialBank);
    OnlineScoreStatistics stats = new OnlineScoreStatistics(settings.statistics());
    WeightedReservoir<Candidate> reservoir =
        new WeightedReservoir<>(settings.sampleFrames(), settings.seed());
    MemoryBank bank = initialBank;
    double covered2 =
        BankMerger.resolution2(initialBank, settings.resolutionQuantile(), settings.seed());
    List<Outcome> outcomes = new ArrayList<>(frames.size());
    List<Update> updates = new ArrayList<>();
    int sinceUpdate = 0;
    for (int start = 0; start < frames.size(); start += settings.batch()) {
      int end = Math.min(frames.size(), start + settings.batch());
      List<FloatImage> images = new ArrayList<>(end - start);
      for (int i = start; i < end; i++) {
        images.add(frames.get(i).image());
      }
      List<Detection> detections = detector.detect(images);
      for (int i = start; i < end; i++) {
        Frame f = frames.get(i);
        Detection d = detections.get(i - start);
        OnlineDecision.Verdict v =
            OnlineDecision.judge(
                stats,
                floorThreshold,
                settings.adaptiveThreshold(),
                settings.gaussianWeighting(),
                settings.weightExponent(),
                d.score());
        OnlineDecision.record(
            stats,
            reservoir,
            v,
            d.score(),
            key -> new Candidate(f.group(), d.topPatches(settings.patchesPerFrame())));
        outcomes.add(
            new Outcome(
                i,
                f.group(),
                f.defective(),
                d.score(),
                v.threshold(),
                v.alerted(),
                v.weight(),
                bank.header().bankVersion(),
                stats.skewness(),
                stats.drifting()));
      }
      sinceUpdate += end - start;
      // like the job: an update lands between batches, never inside one
      if (sinceUpdate >= settings.updateEvery()) {
        sinceUpdate = 0;
        Merged m =
            update(
                bank,
                reservoir.drain(),
                settings,
                covered2,
                updates.size() + 1,
                end,
                OnlineDecision.threshold(stats, floorThreshold, settings.adaptiveThreshold()));
        if (m != null) {
          bank = m.bank();
          detector.swapBank(bank);
          updates.add(m.update());
        }
      }
      progress.update(end, frames.size());
    }
    return new Result(outcomes, updates);
  }

  private record Merged(Update update, MemoryBank bank) {}

  /**
   * The sampled frames' patches merged into the bank, or null when they add nothing (no new
   * version).
   */
  private static Merged update(
      MemoryBank bank,
      List<WeightedReservoir.Entry<Candidate>> sample,
      Settings settings,
      double covered2,
      int sequence,
      int afterFrame,
      double threshold) {
    int dim = bank.dim();
    int n = 0;
    for (WeightedReservoir.Entry<Candidate> e : sample) {
      n += e.item().patches().count();
    }
    float[] vectors = new float[n * dim];
    float[] distances = new float[n];
    Map<String, Integer> byGroup = new TreeMap<>();
    int at = 0;
    for (WeightedReservoir.Entry<Candidate> e : sample) {
      Detection.TopPatches p = e.item().patches();
      System.arraycopy(p.vectors(), 0, vectors, at * dim, p.count() * dim);
      System.arraycopy(p.distances2(), 0, distances, at, p.count());
      at += p.count();
      byGroup.merge(e.item().group(), 1, Integer::sum);
    }
    String root = bank.header().bankVersion().replaceAll("-u\\d+$", "");
    BankMerger.Result r =
        BankMerger.merge(
            bank,
            vectors,
            distances,
            n,
            settings.maxAdded(),
            settings.maxBankSize(),
            covered2,
            root + "-u" + sequence,
            Map.of("frames", sample.size(), "replay", true),
            settings.seed() + sequence);
    if (r.added() == 0) {
      return null;
    }
    return new Merged(
        new Update(
            afterFrame,
            r.bank().header().bankVersion(),
            byGroup,
            r.added(),
            r.bank().count(),
            threshold),
        r.bank());
  }
}
