package io.tailwatch.detector.tail;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class LongTailSplitTest {
  private static Map<String, Integer> classes(int count, int each) {
    Map<String, Integer> m = new LinkedHashMap<>();
    for (int i = 0; i < count; i++) {
      m.put("c" + i, each);
    }
    return m;
  }

  @Test
  void stepKeepsKImagesInSixtyPercentOfTheClassesAndAddsNoiseOnlyToTheHead() {
    List<LongTailSplit.ClassPlan> plan = LongTailSplit.step(classes(5, 80), 4, 0.1, new Random(1));
    assertThat(plan).hasSize(5);
    assertThat(plan.stream().filter(LongTailSplit.ClassPlan::tail))
        .hasSize(3)
        .allSatisfy(
            c ->
                assertThat(c)
                    .extracting(LongTailSplit.ClassPlan::normal, LongTailSplit.ClassPlan::noise)
                    .containsExactly(4, 0));
    assertThat(plan.stream().filter(c -> !c.tail()))
        .hasSize(2)
        .allSatisfy(
            c ->
                assertThat(c)
                    .extracting(LongTailSplit.ClassPlan::normal, LongTailSplit.ClassPlan::noise)
                    .containsExactly(80, 8));
    // the seed decides which classes are tails, reproducibly
    assertThat(LongTailSplit.step(classes(5, 80), 4, 0.1, new Random(1))).isEqualTo(plan);
  }

  @Test
  void paretoPmfIsScipysDiscretisationLargestFirst() {
    // by hand: lo = 0.99^(-1/6), hi = 0.01^(-1/6), 7 points, increments of 1 - x^-6
    double[] pmf = LongTailSplit.paretoPmf(6, 6);
    assertThat(pmf)
        .containsExactly(
            new double[] {0.64453, 0.20436, 0.07635, 0.03225, 0.01499, 0.00751}, within(5e-6));
    double sum = 0;
    for (double p : pmf) {
      sum += p;
    }
    assertThat(sum).isCloseTo(0.98, within(1e-12));
  }

  @Test
  void paretoScalesToTheLargestShareClampsAndSpreadsNoiseOverLargeClasses() {
    assertThat(
            LongTailSplit.redistribute(
                new int[] {200, 200, 200, 200, 200, 200}, LongTailSplit.paretoPmf(6, 6), 5))
        .containsExactly(200, 63, 24, 10, 5, 5);
    // a class with fewer images than its share keeps what it has
    assertThat(
            LongTailSplit.redistribute(new int[] {200, 40, 200}, new double[] {0.6, 0.3, 0.1}, 5))
        .containsExactly(200, 40, 33);

    List<LongTailSplit.ClassPlan> plan =
        LongTailSplit.pareto(classes(6, 200), 6, 0.1, new Random(3));
    int total = plan.stream().mapToInt(LongTailSplit.ClassPlan::normal).sum();
    assertThat(plan.stream().mapToInt(LongTailSplit.ClassPlan::normal).sorted().toArray())
        .containsExactly(5, 5, 10, 24, 63, 200);
    assertThat(plan.stream().mapToInt(LongTailSplit.ClassPlan::noise).sum())
        .isEqualTo(Math.round(0.1 * total));
    assertThat(plan)
        .allSatisfy(
            c -> {
              if (c.normal() < 20) {
                assertThat(c.noise()).isZero();
                assertThat(c.tail()).isTrue();
              } else {
                assertThat(c.tail()).isFalse();
              }
            });
  }

  @Test
  void noiseIsSpreadInProportionToClassSize() {
    Map<String, Integer> sizes = new LinkedHashMap<>();
    sizes.put("big", 300);
    sizes.put("small", 100);
    sizes.put("tiny", 10);
    int big = 0;
    int small = 0;
    for (int seed = 0; seed < 200; seed++) {
      Map<String, Integer> noise = LongTailSplit.spreadNoise(sizes, 40, 20, new Random(seed));
      assertThat(noise).doesNotContainKey("tiny");
      assertThat(noise.values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(40);
      big += noise.getOrDefault("big", 0);
      small += noise.getOrDefault("small", 0);
    }
    assertThat((double) big / (big + small)).isCloseTo(0.75, within(0.02));
  }

  @Test
  void refusesBadParameters() {
    assertThatThrownBy(() -> LongTailSplit.step(classes(5, 80), 0, 0.1, new Random(1)))
        .hasMessageContaining("K >= 1");
    assertThatThrownBy(() -> LongTailSplit.pareto(classes(5, 80), 6, 0.7, new Random(1)))
        .hasMessageContaining("noise ratio");
    assertThatThrownBy(() -> LongTailSplit.pareto(classes(5, 5), 6, 0.1, new Random(1)))
        .hasMessageContaining("more than 5 per class");
  }
}
