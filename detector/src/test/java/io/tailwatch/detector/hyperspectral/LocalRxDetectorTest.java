package io.tailwatch.detector.hyperspectral;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class LocalRxDetectorTest {
  /**
   * With as many components as bands the projection is a rotation, which leaves Mahalanobis
   * distances unchanged: each pixel's score must equal RX computed directly on its own background
   * pixels (outer minus guard window).
   */
  @Test
  void matchesRxOnEachPixelsOwnBackground() {
    SpectralCube cube = RxDetectorTest.randomCube(12, 13, 3, 4);
    LocalRxDetector local = LocalRxDetector.fit(cube, 3, 7, 3, 1e-3);
    float[] scores = local.score(cube);
    int w = cube.samples();
    int b = cube.bands();
    for (int r : new int[] {0, 5, 11}) {
      for (int c : new int[] {0, 6, 12}) {
        int n = 0;
        float[] bg = new float[12 * 13 * b];
        for (int rr = Math.max(0, r - 3); rr <= Math.min(11, r + 3); rr++) {
          for (int cc = Math.max(0, c - 3); cc <= Math.min(12, c + 3); cc++) {
            if (Math.abs(rr - r) <= 1 && Math.abs(cc - c) <= 1) {
              continue;
            }
            System.arraycopy(cube.values(), (rr * w + cc) * b, bg, n * b, b);
            n++;
          }
        }
        float[] probe = new float[n * b + b];
        System.arraycopy(bg, 0, probe, 0, n * b);
        System.arraycopy(cube.values(), (r * w + c) * b, probe, n * b, b);
        // RX fitted on the background only, applied to the pixel: append the pixel after the
        // background pixels
        RxDetector rx =
            RxDetector.fit(new SpectralCube(n, 1, b, java.util.Arrays.copyOf(probe, n * b)), 1e-3);
        float expected =
            rx.score(
                    new SpectralCube(
                        1, 1, b, java.util.Arrays.copyOfRange(probe, n * b, n * b + b)))[0];
        assertThat((double) scores[r * w + c])
            .as("pixel (%d, %d)", r, c)
            .isCloseTo(expected, within(1e-3 * Math.max(1, expected)));
      }
    }
  }

  @Test
  void findsALocalTargetThatGlobalStatisticsBlur() {
    HyperspectralScene scene = SpectralBankDetectorTest.syntheticScene(2);
    float[] scores = LocalRxDetector.fit(scene.cube(), 4, 11, 5, 1e-6).score(scene.cube());
    assertThat(SpectralBankDetectorTest.auroc(scores, scene.anomalous())).isGreaterThan(0.97);
    assertThat(LocalRxDetector.fit(scene.cube(), 4, 11, 5, 1e-6).describe())
        .contains("outer 11, inner 5");
  }

  @Test
  void badWindowsAreRefused() {
    SpectralCube cube = RxDetectorTest.randomCube(5, 5, 3, 1);
    assertThatThrownBy(() -> LocalRxDetector.fit(cube, 3, 8, 3, 0)).hasMessageContaining("odd");
    assertThatThrownBy(() -> LocalRxDetector.fit(cube, 3, 5, 5, 0))
        .hasMessageContaining("inner < outer");
  }
}
