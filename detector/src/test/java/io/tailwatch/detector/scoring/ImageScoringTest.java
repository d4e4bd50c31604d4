package io.tailwatch.detector.scoring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.tailwatch.detector.bank.MemoryBank;
import io.tailwatch.detector.image.Tiling;
import io.tailwatch.detector.testing.TestBanks;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ImageScoringTest {
  @Test
  void topKMeanIsTheMeanOfTheKLargestOfTheRange() {
    Random r = new Random(3);
    for (int trial = 0; trial < 200; trial++) {
      int n = 1 + r.nextInt(900);
      int from = r.nextInt(50);
      float[] d = new float[from + n + r.nextInt(50)];
      for (int i = 0; i < d.length; i++) {
        // ties on purpose: quantised distances
        d[i] = r.nextInt(40) / 4f;
      }
      int k = 1 + r.nextInt(ImageScoring.MAX_TOP_K);
      float[] range = Arrays.copyOfRange(d, from, from + n);
      Arrays.sort(range);
      int m = Math.min(k, n);
      double expected = 0;
      for (int j = 1; j <= m; j++) {
        expected += range[n - j];
      }
      expected /= m;
      assertThat(ImageScoring.topKMean(d, from, n, k))
          .as("n %d, k %d", n, k)
          .isCloseTo(expected, within(1e-5));
    }
    assertThat(ImageScoring.topKMean(new float[] {1, 7, 3}, 0, 3, 1)).isEqualTo(7);
  }

  @Test
  void aBankRecordsItsKAndABankWithoutOneMeansTheMaximum() {
    MemoryBank plain = MemoryBank.of(TestBanks.header(4), new float[8], 2);
    assertThat(ImageScoring.topK(plain)).isEqualTo(1);
    assertThat(ImageScoring.record(plain, 1)).isSameAs(plain);
    MemoryBank top5 = ImageScoring.record(plain, 5);
    assertThat(ImageScoring.topK(top5)).isEqualTo(5);
    assertThat(top5.header().params()).containsEntry(ImageScoring.TOP_K, 5);
    assertThatThrownBy(() -> ImageScoring.record(plain, 0))
        .hasMessage("image top-k must be in [1, 64], was 0");
    assertThatThrownBy(() -> ImageScoring.record(plain, 65)).hasMessageContaining("was 65");
  }

  @Test
  void derivedBanksInheritTilingAndTopKButNothingElse() {
    MemoryBank tiled =
        ImageScoring.record(
            TiledScoring.record(
                MemoryBank.of(TestBanks.header(4), new float[8], 2), new Tiling(256, 192)),
            7);
    Map<String, Object> inherited = ImageScoring.inherited(tiled.header().params());
    assertThat(inherited)
        .containsExactly(
            Map.entry(TiledScoring.TILE_SIZE, 256),
            Map.entry(TiledScoring.TILE_STRIDE, 192),
            Map.entry(ImageScoring.TOP_K, 7));
    assertThat(ImageScoring.inherited(null)).isEmpty();
    assertThat(ImageScoring.inherited(Map.of("coreset", "approximate"))).isEmpty();
  }
}
