package io.tailwatch.detector.online;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tailwatch.detector.bank.CoresetMethod;
import io.tailwatch.detector.bank.MemoryBank;
import io.tailwatch.detector.bank.PatchCoreFitter;
import io.tailwatch.detector.features.BackboneModel;
import io.tailwatch.detector.features.FeatureExtractor;
import io.tailwatch.detector.features.PatchEmbeddingSpec;
import io.tailwatch.detector.image.ImageSource;
import io.tailwatch.detector.image.Preprocessing;
import io.tailwatch.detector.knn.OnnxKnnScorer;
import io.tailwatch.detector.onnx.ExecutionProvider;
import io.tailwatch.detector.scoring.DetectorOptions;
import io.tailwatch.detector.scoring.PatchCoreDetector;
import io.tailwatch.detector.sim.ProductLineSimulator;
import io.tailwatch.detector.sim.RareVariantStream;
import io.tailwatch.detector.stats.ScoreTarget;
import io.tailwatch.detector.testing.TinyBackbone;
import io.tailwatch.detector.util.Progress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The replayed adaptation loop on the generated CNN and the rare-variant stream (600 frames, 3
 * updates).
 */
class AdaptationReplayTest {
  static final Preprocessing P32 =
      new Preprocessing(32, 0, Preprocessing.IMAGENET_MEAN, Preprocessing.IMAGENET_STD);
  static final int FRAMES = 600;

  @TempDir static Path dir;
  static BackboneModel model;
  static PatchEmbeddingSpec spec;
  static MemoryBank bank;
  static List<AdaptationReplay.Frame> stream;
  static RareVariantStream recipe;

  @BeforeAll
  static void fitBank() throws Exception {
    model = BackboneModel.load(TinyBackbone.write(dir, "tiny.onnx"));
    spec = new PatchEmbeddingSpec(model.layers(List.of("feat_a", "feat_b")), 3, 36, 32);
    ProductLineSimulator line = new ProductLineSimulator(5, 64, 0.0);
    List<ImageSource> train = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      train.add(
          ImageSource.of(
              "n" + i, line.frame(i, ProductLineSimulator.Variant.BRUSHED, null).toFloatImage()));
    }
    try (FeatureExtractor extractor =
        FeatureExtractor.open(model, spec, ExecutionProvider.CPU, 1)) {
      PatchCoreFitter fitter =
          new PatchCoreFitter(
              extractor,
              new PatchCoreFitter.Options(0.25, CoresetMethod.APPROXIMATE, 128, 1, 8, P32));
      bank = fitter.build(fitter.embed(train, Progress.NONE), "replay-test", Progress.NONE);
    }
    recipe = new RareVariantStream(line, 10, 23, ProductLineSimulator.Variant.GRAIN, 0.6, 10_000);
    stream = new ArrayList<>();
    for (int i = 0; i < FRAMES; i++) {
      RareVariantStream.Kind k = recipe.kind(i);
      stream.add(
          new AdaptationReplay.Frame(
              recipe.frame(i).toFloatImage(),
              k.name().toLowerCase(Locale.ROOT),
              k == RareVariantStream.Kind.DEFECT));
    }
  }

  static AdaptationReplay.Settings settings(boolean gaussian, boolean adaptive) {
    OnlineScoreStatistics.Config stats =
        new OnlineScoreStatistics.Config(512, 200, 0.01, 100, 0.1, 10, 8, 16, ScoreTarget.MOMENT);
    return new AdaptationReplay.Settings(stats, adaptive, gaussian, 16, 64, 200, 256, 4000, 8, 3);
  }

  AdaptationReplay.Result replay(AdaptationReplay.Settings s, double floor) throws Exception {
    try (FeatureExtractor extractor = FeatureExtractor.open(model, spec, ExecutionProvider.CPU, 1);
        OnnxKnnScorer knn = OnnxKnnScorer.open(ExecutionProvider.CPU, 1);
        PatchCoreDetector detector =
            new PatchCoreDetector(extractor, knn, bank, DetectorOptions.DEFAULT)) {
      return AdaptationReplay.run(detector, bank, floor, stream, s, Progress.NONE);
    }
  }

  @Test
  void updatesLandBetweenBatchesAndEveryFrameIsJudgedOnce() throws Exception {
    AdaptationReplay.Result r = replay(settings(true, true), NO_CALIBRATION);
    assertThat(r.outcomes()).hasSize(FRAMES);
    assertThat(r.outcomes())
        .extracting(AdaptationReplay.Outcome::index)
        .containsExactlyElementsOf(java.util.stream.IntStream.range(0, FRAMES).boxed().toList());
    assertThat(r.updates())
        .extracting(AdaptationReplay.Update::afterFrame)
        .containsExactly(200, 400, 600);
    assertThat(r.updates())
        .extracting(AdaptationReplay.Update::version)
        .containsExactly("replay-test-u1", "replay-test-u2", "replay-test-u3");
    // the bank in use changes exactly at the update frames, which are batch boundaries
    for (AdaptationReplay.Outcome o : r.outcomes()) {
      int updatesBefore =
          (int) r.updates().stream().filter(u -> u.afterFrame() <= o.index()).count();
      assertThat(o.bankVersion())
          .as("frame %d", o.index())
          .isEqualTo(updatesBefore == 0 ? "replay-test" : "replay-test-u" + updatesBefore);
    }
    for (AdaptationReplay.Update u : r.updates()) {
      assertThat(u.sampledByGroup().values().stream().mapToInt(Integer::intValue).sum())
          .isEqualTo(16);
      assertThat(u.added()).isBetween(1, 256);
    }
    assertThat(r.updates().get(2).bankSize())
        .isEqualTo(
            bank.count() + r.updates().stream().mapToInt(AdaptationReplay.Update::added).sum());
  }

  /**
   * The recorded statistics' skewness is what a scope's statistics fed the same scores and verdicts
   * report.
   */
  /** No calibrated threshold: nothing alerts before warm-up, nothing bounds the online one. */
  private static final double NO_CALIBRATION = Double.NaN;

  @Test
  void statisticsSkewnessIsTheScopeStatisticsAfterEachFrame() throws Exception {
    AdaptationReplay.Settings s = settings(true, true);
    AdaptationReplay.Result r = replay(s, NO_CALIBRATION);
    OnlineScoreStatistics stats = new OnlineScoreStatistics(s.statistics());
    for (AdaptationReplay.Outcome o : r.outcomes()) {
      stats.add(o.score(), o.alerted());
      assertThat(o.statisticsSkewness()).as("frame %d", o.index()).isEqualTo(stats.skewness());
    }
    assertThat(
            r.outcomes().stream()
                .mapToDouble(AdaptationReplay.Outcome::statisticsSkewness)
                .distinct()
                .count())
        .isGreaterThan(100);
  }

  @Test
  void theSameSeedGivesTheSameRun() throws Exception {
    AdaptationReplay.Result a = replay(settings(true, true), NO_CALIBRATION);
    AdaptationReplay.Result b = replay(settings(true, true), NO_CALIBRATION);
    assertThat(b.outcomes()).isEqualTo(a.outcomes());
    assertThat(b.updates()).isEqualTo(a.updates());
  }

  @Test
  void weightsFollowTheSettingAndAlertingFramesAreNeverSampled() throws Exception {
    // the online threshold after 100 frames: some frames alert from then on
    AdaptationReplay.Result gaussian = replay(settings(true, true), NO_CALIBRATION);
    assertThat(gaussian.outcomes())
        .extracting(AdaptationReplay.Outcome::weight)
        .allSatisfy(w -> assertThat(w).isBetween(0.1, 10.0));
    assertThat(
            gaussian.outcomes().stream()
                .mapToDouble(AdaptationReplay.Outcome::weight)
                .distinct()
                .count())
        .isGreaterThan(10);
    assertThat(gaussian.outcomes().subList(100, FRAMES))
        .anyMatch(AdaptationReplay.Outcome::alerted);
    AdaptationReplay.Result uniform = replay(settings(false, true), NO_CALIBRATION);
    assertThat(uniform.outcomes()).extracting(AdaptationReplay.Outcome::weight).containsOnly(1.0);

    // a fixed threshold below every score: everything alerts, nothing is offered, no version is
    // built
    AdaptationReplay.Result allAlert = replay(settings(true, false), 0);
    assertThat(allAlert.outcomes()).allMatch(AdaptationReplay.Outcome::alerted);
    assertThat(allAlert.alerts("rare", 0, FRAMES))
        .isEqualTo(allAlert.count("rare", 0, FRAMES))
        .isEqualTo(60);
    assertThat(allAlert.updates()).isEmpty();
    assertThat(allAlert.outcomes())
        .extracting(AdaptationReplay.Outcome::bankVersion)
        .containsOnly("replay-test");
  }

  @Test
  void summariesCountTheRightFrames() throws Exception {
    AdaptationReplay.Result r = replay(settings(false, false), NO_CALIBRATION); // nothing alerts
    assertThat(r.count("rare", 0, FRAMES)).isEqualTo(60);
    assertThat(r.alertRate("rare", 0, FRAMES)).isZero();
    assertThat(r.alerts("rare", 0, FRAMES)).isZero();
    assertThat(r.alertRate("defect", 0, FRAMES)).isZero();
    assertThat(r.alertRate("none-such", 0, FRAMES)).isNaN();
    assertThat(r.meanOfferedWeight("normal", 0, FRAMES)).isEqualTo(1.0);
    assertThat(r.normalSkewness(0, FRAMES)).isFinite();
  }

  /**
   * Moment skewness over a hand-made outcome list: all non-defective frames, or one group alone.
   */
  @Test
  void skewnessOfAllNormalFramesAndOfOneGroup() {
    List<AdaptationReplay.Outcome> o = new java.util.ArrayList<>();
    double[] majority = {1, 1, 1, 2};
    for (double v : majority) {
      o.add(new AdaptationReplay.Outcome(o.size(), "normal", false, v, 9, false, 1, "v", 0, false));
    }
    o.add(new AdaptationReplay.Outcome(o.size(), "rare", false, 5, 9, false, 1, "v", 0, false));
    o.add(new AdaptationReplay.Outcome(o.size(), "defect", true, 50, 9, true, 1, "v", 0, false));
    AdaptationReplay.Result r = new AdaptationReplay.Result(o, List.of());
    // majority {1,1,1,2}: mean 1.25, m2 = 0.1875, m3 = 0.09375 -> 0.09375 / 0.1875^1.5 = 1.1547
    assertThat(r.skewness("normal", 0, o.size()))
        .isCloseTo(1.1547, org.assertj.core.data.Offset.offset(1e-4));
    // {1,1,1,2,5}: mean 2, m2 = 2.4, m3 = 4.8 -> 4.8 / 2.4^1.5 = 1.2910 (the defect is left out)
    assertThat(r.normalSkewness(0, o.size()))
        .isCloseTo(1.2910, org.assertj.core.data.Offset.offset(1e-4));
  }

  @Test
  void badSettingsAreRefused() {
    OnlineScoreStatistics.Config stats = OnlineScoreStatistics.Config.defaults();
    assertThatThrownBy(
            () -> new AdaptationReplay.Settings(stats, true, true, 0, 64, 200, 256, 4000, 8, 3))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("sample-frames");
    assertThatThrownBy(
            () -> new AdaptationReplay.Settings(null, true, true, 1, 64, 200, 256, 4000, 8, 3))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("statistics");
  }
}
