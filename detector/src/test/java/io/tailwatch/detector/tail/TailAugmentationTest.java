package io.tailwatch.detector.tail;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tailwatch.detector.image.FloatImage;
import io.tailwatch.detector.image.ImageSource;
import java.util.List;
import org.junit.jupiter.api.Test;

class TailAugmentationTest {
  static FloatImage ramp() {
    // 3 x 3, value = 10 y + x
    float[] d = new float[9];
    for (int y = 0; y < 3; y++) {
      for (int x = 0; x < 3; x++) {
        d[y * 3 + x] = 10 * y + x;
      }
    }
    return new FloatImage(3, 3, 1, d);
  }

  @Test
  void copiesPerPreset() {
    assertThat(TailAugmentation.ROT15FLIP.copies()).isEqualTo(47);
    assertThat(TailAugmentation.ROT30FLIP.copies()).isEqualTo(23);
    assertThat(TailAugmentation.ROTFLIP.copies()).isEqualTo(7);
    assertThat(TailAugmentation.NONE.copies()).isZero();
    List<ImageSource> expanded = TailAugmentation.ROTFLIP.expand(ImageSource.of("a", ramp()));
    assertThat(expanded).hasSize(8);
    assertThat(expanded.stream().map(ImageSource::id).distinct()).hasSize(8);
    assertThat(TailAugmentation.parse("rot30flip")).isEqualTo(TailAugmentation.ROT30FLIP);
    assertThatThrownBy(() -> TailAugmentation.parse("rot45"))
        .hasMessageContaining("rot15flip, rot30flip");
  }

  @Test
  void rotatesAboutTheCentreAndFlips() {
    FloatImage src = ramp();
    assertThat(TailAugmentation.rotate(src, 0, false).data()).containsExactly(src.data());
    // output (x, y) samples source (x', y') = (y, 2 - x) for +90 degrees in image coordinates (y
    // down)
    FloatImage r90 = TailAugmentation.rotate(src, 90, false);
    for (int y = 0; y < 3; y++) {
      for (int x = 0; x < 3; x++) {
        assertThat(r90.get(0, y, x))
            .isCloseTo(src.get(0, 2 - x, y), org.assertj.core.api.Assertions.within(1e-4f));
      }
    }
    FloatImage flipped = TailAugmentation.rotate(src, 0, true);
    assertThat(flipped.get(0, 1, 0)).isEqualTo(src.get(0, 1, 2));
  }

  @Test
  void cornersAreReplicatedNotBlack() {
    float[] ones = new float[16 * 16];
    java.util.Arrays.fill(ones, 0.7f);
    FloatImage r = TailAugmentation.rotate(new FloatImage(16, 16, 1, ones), 45, false);
    for (float v : r.data()) {
      assertThat(v).isCloseTo(0.7f, org.assertj.core.api.Assertions.within(1e-5f));
    }
  }
}
