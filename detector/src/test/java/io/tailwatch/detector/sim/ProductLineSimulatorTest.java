package io.tailwatch.detector.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.EnumMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ProductLineSimulatorTest {
  @Test
  void framesAreDeterministicPerSeedAndIndex() {
    ProductLineSimulator a = new ProductLineSimulator(3, 96, 0.2);
    ProductLineSimulator b = new ProductLineSimulator(3, 96, 0.2);
    assertThat(a.frame(17).gray()).isEqualTo(b.frame(17).gray());
    assertThat(a.frame(17).gray()).isNotEqualTo(a.frame(18).gray());
    assertThat(new ProductLineSimulator(4, 96, 0.2).frame(17).gray())
        .isNotEqualTo(a.frame(17).gray());
  }

  @Test
  void variantsFollowTheLongTailAndDefectsTheRate() {
    ProductLineSimulator line = new ProductLineSimulator(1, 64, 0.1);
    Map<ProductLineSimulator.Variant, Integer> counts =
        new EnumMap<>(ProductLineSimulator.Variant.class);
    int defective = 0;
    int n = 4000;
    for (int i = 0; i < n; i++) {
      SimulatedFrame f = line.frame(i);
      counts.merge(f.variant(), 1, Integer::sum);
      defective += f.defective() ? 1 : 0;
    }
    for (ProductLineSimulator.Variant v : ProductLineSimulator.Variant.values()) {
      // binomial 4-sigma band around the configured share
      double expected = v.share() * n;
      assertThat((double) counts.getOrDefault(v, 0))
          .as(v.name())
          .isBetween(expected - 4 * Math.sqrt(expected), expected + 4 * Math.sqrt(expected));
    }
    assertThat(defective).isBetween(400 - 76, 400 + 76);
  }

  @Test
  void defectsChangeExactlyTheMaskedPixelsAndNormalFramesHaveEmptyMasks() {
    ProductLineSimulator line = new ProductLineSimulator(9, 128, 0);
    for (ProductLineSimulator.Defect d : ProductLineSimulator.Defect.values()) {
      SimulatedFrame f = line.frame(5, ProductLineSimulator.Variant.GRAIN, d);
      int masked = 0;
      for (byte m : f.mask()) {
        masked += m;
      }
      assertThat(masked).as(d.name()).isBetween(20, 128 * 128 / 10);
    }
    SimulatedFrame normal = line.frame(5, ProductLineSimulator.Variant.GRAIN, null);
    for (byte m : normal.mask()) {
      assertThat(m).isZero();
    }
    // same index, variant and random stream: the defect only adds to the normal frame inside its
    // mask, up to noise
    SimulatedFrame spot =
        line.frame(5, ProductLineSimulator.Variant.GRAIN, ProductLineSimulator.Defect.SPOT);
    double insideDelta = 0;
    int inside = 0;
    for (int i = 0; i < spot.gray().length; i++) {
      if (spot.mask()[i] != 0) {
        insideDelta += (normal.gray()[i] & 0xff) - (spot.gray()[i] & 0xff);
        inside++;
      }
    }
    assertThat(insideDelta / inside).as("spots are darker").isGreaterThan(20);
  }

  @Test
  void rejectsBadSettings() {
    assertThatThrownBy(() -> new ProductLineSimulator(1, 10, 0.1)).hasMessageContaining("size");
    assertThatThrownBy(() -> new ProductLineSimulator(1, 64, 1.5))
        .hasMessageContaining("defectRate");
  }
}
