package io.tailwatch.detector.scoring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tailwatch.detector.bank.MemoryBank;
import io.tailwatch.detector.bank.PatchCoreFitter;
import io.tailwatch.detector.util.Progress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class CrossCalibrationTest {
  /** Image i's single 1-d patch holds the value i, so a subset's patches name its images. */
  static PatchCoreFitter.Embedded embedded(int images) {
    float[] p = new float[images];
    for (int i = 0; i < images; i++) {
      p[i] = i;
    }
    return new PatchCoreFitter.Embedded(p, images, 1, 1, null, 0);
  }

  @Test
  void everyImageIsScoredOnceByABankThatNeverSawIt() throws Exception {
    int n = 23;
    List<Set<Integer>> banks = new ArrayList<>();
    int[] scoredTimes = new int[n];
    double[] scores =
        CrossCalibration.scores(
            embedded(n),
            null,
            5,
            42,
            (subset, idx) -> {
              Set<Integer> members = new HashSet<>();
              for (float v : subset.patches()) {
                members.add((int) v);
              }
              assertThat(members)
                  .containsExactlyInAnyOrderElementsOf(Arrays.stream(idx).boxed().toList());
              banks.add(members);
              return null; // the scorer below knows the bank by its position
            },
            (bank, held) -> {
              Set<Integer> members = banks.get(banks.size() - 1);
              double[] out = new double[held.images()];
              for (int i = 0; i < held.images(); i++) {
                int image = (int) held.patches()[i];
                assertThat(members).doesNotContain(image);
                scoredTimes[image]++;
                out[i] = 100 + image;
              }
              return out;
            },
            Progress.NONE);
    assertThat(scoredTimes).containsOnly(1);
    for (int i = 0; i < n; i++) {
      assertThat(scores[i]).isEqualTo(100 + i);
    }
    // 23 images in 5 folds: banks of 18 or 19
    assertThat(banks).hasSize(5).allSatisfy(b -> assertThat(b.size()).isBetween(18, 19));
  }

  @Test
  void aFramesTilesStayInOneFoldAndItsScoreIsTheirMaximum() throws Exception {
    // 6 frames of 3 tiles each
    int frames = 6;
    int[] group = new int[frames * 3];
    for (int i = 0; i < group.length; i++) {
      group[i] = i / 3;
    }
    MemoryBank none = null;
    double[] scores =
        CrossCalibration.scores(
            embedded(group.length),
            group,
            3,
            7,
            (subset, idx) -> {
              Set<Integer> frameIds = new HashSet<>();
              for (int i : idx) {
                frameIds.add(group[i]);
              }
              // whole frames only: every frame in the bank brings its 3 tiles
              assertThat(idx.length).isEqualTo(frameIds.size() * 3);
              return none;
            },
            (bank, held) -> {
              double[] out = new double[held.images()];
              for (int i = 0; i < out.length; i++) {
                out[i] = held.patches()[i]; // tile index as its score
              }
              return out;
            },
            Progress.NONE);
    assertThat(scores).hasSize(frames);
    for (int f = 0; f < frames; f++) {
      assertThat(scores[f]).isEqualTo(3 * f + 2); // the frame's highest tile
    }
  }

  @Test
  void foldsMustBeBetweenTwoAndTheImageCount() {
    assertThatThrownBy(
            () ->
                CrossCalibration.scores(
                    embedded(3), null, 4, 1, (s, i) -> null, (b, h) -> null, Progress.NONE))
        .hasMessageContaining("2 <= folds <= images");
    assertThatThrownBy(
            () ->
                CrossCalibration.scores(
                    embedded(3), null, 1, 1, (s, i) -> null, (b, h) -> null, Progress.NONE))
        .hasMessageContaining("was 1 folds for 3 images");
  }
}
