package io.tailwatch.detector.online;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class WeightedReservoirTest {
  @Test
  void singleSlotPicksProportionallyToWeight() {
    double[] w = {1, 2, 3, 4};
    int[] hits = new int[w.length];
    int draws = 40_000;
    WeightedReservoir<Integer> r = new WeightedReservoir<>(1, 7);
    for (int d = 0; d < draws; d++) {
      for (int i = 0; i < w.length; i++) {
        r.offer(w[i], i);
      }
      hits[r.drain().get(0).item()]++;
    }
    for (int i = 0; i < w.length; i++) {
      assertThat(hits[i] / (double) draws).as("item %d", i).isCloseTo(w[i] / 10, within(0.01));
    }
  }

  @Test
  void inclusionFrequenciesFollowSamplingWithoutReplacement() {
    // k = 2 of weights (1, 1, 8): P(i kept) = w_i/W + sum_j (w_j/W) (w_i/(W - w_j))
    double[] w = {1, 1, 8};
    double total = 10;
    int[] hits = new int[3];
    int draws = 40_000;
    WeightedReservoir<Integer> r = new WeightedReservoir<>(2, 11);
    for (int d = 0; d < draws; d++) {
      for (int i = 0; i < 3; i++) {
        r.offer(w[i], i);
      }
      for (WeightedReservoir.Entry<Integer> e : r.drain()) {
        hits[e.item()]++;
      }
    }
    for (int i = 0; i < 3; i++) {
      double p = w[i] / total;
      for (int j = 0; j < 3; j++) {
        if (j != i) {
          p += w[j] / total * w[i] / (total - w[j]);
        }
      }
      assertThat(hits[i] / (double) draws).as("item %d", i).isCloseTo(p, within(0.01));
    }
  }

  @Test
  void mergedReservoirsEqualOneOverTheUnion() {
    WeightedReservoir<Integer> a = new WeightedReservoir<>(3, 1);
    WeightedReservoir<Integer> b = new WeightedReservoir<>(3, 2);
    WeightedReservoir<Integer> all = new WeightedReservoir<>(3, 3);
    List<WeightedReservoir.Entry<Integer>> union = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      double key = (i % 2 == 0 ? a : b).drawKey(1 + i % 5);
      (i % 2 == 0 ? a : b).add(key, i);
      all.add(key, i);
    }
    union.addAll(a.entries());
    union.addAll(b.entries());
    assertThat(WeightedReservoir.merge(union, 3)).isEqualTo(all.entries());
    assertThat(all.accepts(Double.NEGATIVE_INFINITY)).isFalse();
    assertThatThrownBy(() -> a.drawKey(0)).hasMessageContaining("positive");
    assertThatThrownBy(() -> new WeightedReservoir<>(0, 1)).hasMessageContaining("at least 1");
  }
}
