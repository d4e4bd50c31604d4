package io.tailwatch.detector.hyperspectral;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.tailwatch.detector.stats.ScoreTarget;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class ImportanceWeightsTest {
  /**
   * Right-skewed normal scores: a dense majority mode N(1, 0.1^2) (80%), a shoulder N(1.35, 0.1^2)
   * (17%, the rare-but-normal patterns) and an extreme tail at 4-6 (3%, contamination).
   */
  static double[] skewed(long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    double[] s = new double[10_000];
    for (int i = 0; i < s.length; i++) {
      double u = r.nextDouble();
      s[i] =
          u < 0.80
              ? 1 + 0.1 * r.nextGaussian()
              : u < 0.97 ? 1.35 + 0.1 * r.nextGaussian() : 4 + 2 * r.nextDouble();
    }
    return s;
  }

  static double meanWhere(double[] w, double[] s, double lo, double hi) {
    return java.util.stream.IntStream.range(0, s.length)
        .filter(i -> s[i] >= lo && s[i] < hi)
        .mapToDouble(i -> w[i])
        .average()
        .orElseThrow();
  }

  @ParameterizedTest
  @EnumSource(ImportanceWeights.Density.class)
  void meanOneClippedDenseModeDownShoulderUpTailDown(ImportanceWeights.Density density) {
    double[] s = skewed(1);
    double[] w =
        ImportanceWeights.compute(
            s, new ImportanceWeights.Options(density, ScoreTarget.MOMENT, 0.1, 10, 1));
    assertThat(Arrays.stream(w).average().orElseThrow()).isCloseTo(1.0, within(1e-9));
    assertThat(Arrays.stream(w).min().orElseThrow()).isGreaterThanOrEqualTo(0.1 - 1e-9);
    assertThat(Arrays.stream(w).max().orElseThrow()).isLessThanOrEqualTo(10 + 1e-9);
    double mode = meanWhere(w, s, 0.9, 1.1);
    double shoulder = meanWhere(w, s, 1.45, 1.7);
    double tail = meanWhere(w, s, 4, 7);
    assertThat(mode).as("dense majority mode").isLessThan(1);
    assertThat(shoulder).as("right shoulder").isGreaterThan(1).isGreaterThan(2 * mode);
    assertThat(tail).as("extreme tail").isLessThan(0.2);
  }

  @Test
  void clippingBindsAtBothEnds() {
    double[] s = skewed(2);
    double[] w =
        ImportanceWeights.compute(
            s,
            new ImportanceWeights.Options(
                ImportanceWeights.Density.KDE, ScoreTarget.ROBUST, 0.5, 2, 1));
    double[] loose = ImportanceWeights.compute(s, ImportanceWeights.Options.defaults());
    assertThat(Arrays.stream(loose).max().orElseThrow())
        .isGreaterThan(3); // so the tight clip has work to do
    assertThat(Arrays.stream(loose).min().orElseThrow()).isLessThan(0.3);
    // clip then renormalise: the clipped ends move a little inside the bounds, never outside
    assertThat(Arrays.stream(w).min().orElseThrow()).isBetween(0.5, 0.6);
    assertThat(Arrays.stream(w).max().orElseThrow()).isBetween(1.8, 2.0);
    assertThat(Arrays.stream(w).average().orElseThrow()).isCloseTo(1.0, within(1e-9));
  }

  @Test
  void gaussianScoresGetNearlyUniformWeights() {
    SplittableRandom r = new SplittableRandom(3);
    double[] s = new double[20_000];
    for (int i = 0; i < s.length; i++) {
      s[i] = 5 + r.nextGaussian();
    }
    double[] w = ImportanceWeights.compute(s, ImportanceWeights.Options.defaults());
    // inside two sigmas the observed density already is the target: weights stay near 1
    assertThat(meanWhere(w, s, 4, 6)).isCloseTo(1.0, within(0.1));
  }

  @Test
  void silvermanBandwidthByHand() {
    double[] sorted = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    // sd = sqrt(8.25) = 2.872; IQR (linear) = 7.75 - 3.25 = 4.5 -> 3.358; min = 2.872; 0.9 * 2.872
    // * 10^-0.2
    assertThat(ImportanceWeights.silvermanBandwidth(sorted))
        .isCloseTo(0.9 * Math.sqrt(8.25) * Math.pow(10, -0.2), within(1e-12));
  }

  @Test
  void badOptionsAreRefused() {
    assertThatThrownBy(
            () ->
                new ImportanceWeights.Options(
                    ImportanceWeights.Density.KDE, ScoreTarget.ROBUST, 0, 10, 1))
        .hasMessageContaining("weight clip");
    assertThatThrownBy(
            () ->
                new ImportanceWeights.Options(
                    ImportanceWeights.Density.KDE, ScoreTarget.ROBUST, 0.1, 10, 1.5))
        .hasMessageContaining("temper");
  }
}
