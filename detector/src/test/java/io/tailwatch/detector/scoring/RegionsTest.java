package io.tailwatch.detector.scoring;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class RegionsTest {
  @Test
  void strongestKeepsTheHighestPeaksFirstAndCapsTheCount() {
    // a checkerboard of isolated hot pixels: 8 x 8 = 64 one-pixel regions, peaks 1..64
    int w = 16;
    float[] map = new float[w * w];
    int peak = 0;
    for (int y = 0; y < w; y += 2) {
      for (int x = 0; x < w; x += 2) {
        map[y * w + x] = ++peak;
      }
    }
    List<RegionBox> all = Regions.find(map, w, w, 0.5);
    assertThat(all).hasSize(64);
    List<RegionBox> top = Regions.strongest(all, 10);
    assertThat(top).hasSize(10);
    assertThat(top.get(0).maxScore()).isEqualTo(64f);
    assertThat(top.get(9).maxScore()).isEqualTo(55f);
    assertThat(Regions.strongest(all, 1000)).hasSize(64);
  }
}
