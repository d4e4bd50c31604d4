package io.tailwatch.detector.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

import java.util.Random;
import org.junit.jupiter.api.Test;

class PixelMetricsTest {
  static boolean[] twoSquares(int w) {
    boolean[] m = new boolean[w * w];
    for (int y = 2; y < 6; y++) {
      for (int x = 2; x < 6; x++) {
        m[y * w + x] = true;
      }
    }
    for (int y = 20; y < 30; y++) {
      for (int x = 10; x < 30; x++) {
        m[y * w + x] = true;
      }
    }
    return m;
  }

  @Test
  void perfectMapHasProOneAndAurocOne() {
    int w = 40;
    boolean[] mask = twoSquares(w);
    float[] map = new float[w * w];
    for (int i = 0; i < map.length; i++) {
      map[i] = mask[i] ? 1 : 0;
    }
    PixelMetrics pm = new PixelMetrics();
    pm.add(map, mask, w, w);
    assertThat(pm.regionCount()).isEqualTo(2);
    assertThat(pm.scores().auroc()).isEqualTo(1.0);
    assertThat(pm.pro(0.3)).isCloseTo(1.0, offset(1e-9));
  }

  @Test
  void proWeighsRegionsEquallyNotByArea() {
    // the small region fully detected, the large one missed: pixel recall is low but PRO is 0.5
    int w = 40;
    boolean[] mask = twoSquares(w);
    float[] map = new float[w * w];
    for (int y = 2; y < 6; y++) {
      for (int x = 2; x < 6; x++) {
        map[y * w + x] = 1;
      }
    }
    PixelMetrics pm = new PixelMetrics();
    pm.add(map, mask, w, w);
    // just above 0: FPR 0, overlaps 1 (small square) and 0 (large) -> PRO 0.5, though only 16 of
    // 216 anomalous
    // pixels are found. At 0 everything is positive: (FPR 1, PRO 1). Linear in between, the area to
    // FPR 0.3 is
    // 0.3 * (0.5 + 0.65) / 2, normalised: 0.575.
    assertThat(pm.pro(0.3)).isCloseTo(0.575, offset(1e-9));
  }

  @Test
  void randomMapHasProNearFprAverage() {
    // random scores: overlap(t) ~ FPR(t), so the normalised area up to 0.3 is ~0.15
    int w = 100;
    boolean[] mask = new boolean[w * w];
    for (int i = 0; i < 3000; i++) {
      mask[i] = true;
    }
    Random r = new Random(1);
    PixelMetrics pm = new PixelMetrics();
    for (int k = 0; k < 5; k++) {
      float[] map = new float[w * w];
      for (int i = 0; i < map.length; i++) {
        map[i] = r.nextFloat();
      }
      pm.add(map, mask, w, w);
    }
    assertThat(pm.pro(0.3)).isCloseTo(0.15, offset(0.01));
    assertThat(pm.scores().auroc()).isCloseTo(0.5, offset(0.01));
  }
}
