package io.tailwatch.detector.scoring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

import java.util.List;
import org.junit.jupiter.api.Test;

class AnomalyMapsTest {
  @Test
  void bilinearMatchesPytorchOnA2x2Grid() {
    // F.interpolate([[0,1],[2,3]], size=4, bilinear, align_corners=False) first row: 0, .25, .75, 1
    float[] out = AnomalyMaps.bilinear(new float[] {0, 1, 2, 3}, 2, 2, 4, 4);
    assertThat(out)
        .containsExactly(
            new float[] {
              0f, 0.25f, 0.75f, 1f, 0.5f, 0.75f, 1.25f, 1.5f, 1.5f, 1.75f, 2.25f, 2.5f, 2f, 2.25f,
              2.75f, 3f
            },
            offset(1e-6f));
  }

  @Test
  void gaussianKeepsConstantsAndMass() {
    int n = 40;
    float[] c = new float[n * n];
    java.util.Arrays.fill(c, 3f);
    for (float v : AnomalyMaps.gaussian(c, n, n, 4)) {
      assertThat(v).isCloseTo(3f, offset(1e-4f));
    }
    float[] spike = new float[n * n];
    spike[20 * n + 20] = 1;
    float[] blurred = AnomalyMaps.gaussian(spike, n, n, 2);
    double sum = 0;
    for (float v : blurred) {
      sum += v;
    }
    assertThat(sum).isCloseTo(1.0, offset(1e-4));
    assertThat(blurred[20 * n + 20]).isGreaterThan(blurred[20 * n + 22]);
    assertThat(AnomalyMaps.reflect(-1, 5)).isEqualTo(0);
    assertThat(AnomalyMaps.reflect(5, 5)).isEqualTo(4);
    assertThat(AnomalyMaps.reflect(-3, 5)).isEqualTo(2);
  }

  /** The map as two matrix products equals upsampling then blurring, square grid or not. */
  @Test
  void fromPatchScoresIsUpsamplingThenBlurring() {
    java.util.Random r = new java.util.Random(4);
    for (int[] grid : new int[][] {{28, 28}, {20, 28}, {7, 7}}) {
      int h = grid[0];
      int w = grid[1];
      float[] scores = new float[h * w];
      for (int i = 0; i < scores.length; i++) {
        scores[i] = r.nextFloat() * 10;
      }
      scores[3] = 0; // zero cells are skipped by the product
      for (double sigma : new double[] {4.0, 1.5}) {
        float[] expected =
            AnomalyMaps.gaussian(AnomalyMaps.bilinear(scores, h, w, 224, 224), 224, 224, sigma);
        float[] actual = AnomalyMaps.fromPatchScores(scores, h, w, 224, sigma);
        for (int i = 0; i < expected.length; i++) {
          assertThat(actual[i])
              .as("%dx%d sigma %s pixel %d", h, w, sigma, i)
              .isCloseTo(expected[i], offset(1e-4f * (1 + Math.abs(expected[i]))));
        }
      }
    }
  }

  @Test
  void regionsAreConnectedComponentsWithBoxes() {
    int w = 10;
    float[] map = new float[w * w];
    map[11] = 5;
    map[22] = 4; // diagonal neighbour of 11: same region
    map[77] = 9;
    map[78] = 8;
    List<RegionBox> regions = Regions.find(map, w, w, 1.0);
    assertThat(regions)
        .containsExactly(new RegionBox(7, 7, 2, 1, 2, 9), new RegionBox(1, 1, 2, 2, 2, 5));
    assertThat(Regions.scale(new RegionBox(1, 1, 2, 2, 2, 5), 2, 3))
        .isEqualTo(new RegionBox(2, 3, 4, 6, 12, 5));
  }
}
