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
import java.util.regex.Pattern;
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
            null,
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
  void aSourcesImagesStayInOneFoldSoNoneIsScoredAgainstASibling() throws Exception {
    // 12 tiles cut from 4 strips (names as AITEX's), plus 2 images that match no strip
    List<String> names = new ArrayList<>();
    for (int strip = 1; strip <= 4; strip++) {
      for (int x = 0; x < 3; x++) {
        names.add(String.format("%04d_000_01_x%04d.jpg", strip, 538 + 256 * x));
      }
    }
    names.add("odd-a.jpg");
    names.add("odd-b.jpg");
    int[] source = CalibrationGroups.of(names, Pattern.compile("^(.+)_x[0-9]+\\."));
    assertThat(CalibrationGroups.count(source)).isEqualTo(6);
    // no held-out image has an image of its own strip in its fold's bank; without the groups
    // some would (same seed)
    assertThat(heldOutWithASiblingInTheirBank(source, source)).isZero();
    assertThat(heldOutWithASiblingInTheirBank(source, null)).isPositive();
  }

  /**
   * Cross-fits images whose sources are {@code source}, passing {@code sourceArg} as the groups;
   * checks every image is scored once and counts those scored against a bank holding an image of
   * their own source.
   */
  static int heldOutWithASiblingInTheirBank(int[] source, int[] sourceArg) throws Exception {
    List<Set<Integer>> banks = new ArrayList<>();
    int[] scoredTimes = new int[source.length];
    int[] withSibling = {0};
    CrossCalibration.scores(
        embedded(source.length),
        null,
        sourceArg,
        3,
        11,
        (subset, idx) -> {
          banks.add(new HashSet<>(Arrays.stream(idx).boxed().toList()));
          return null;
        },
        (bank, held) -> {
          Set<Integer> members = banks.get(banks.size() - 1);
          for (float v : held.patches()) {
            int image = (int) v;
            scoredTimes[image]++;
            if (members.stream().anyMatch(other -> source[other] == source[image])) {
              withSibling[0]++;
            }
          }
          return new double[held.images()];
        },
        Progress.NONE);
    assertThat(scoredTimes).containsOnly(1);
    return withSibling[0];
  }

  @Test
  void groupsComeFromTheFirstCapturingGroupOrTheWholeMatch() {
    List<String> names =
        List.of("kos01_Part0.jpg", "kos01_Part5.jpg", "kos02_Part0.jpg", "cast_ok_1.jpg");
    assertThat(CalibrationGroups.of(names, Pattern.compile("^(kos[0-9]+)_")))
        .containsExactly(0, 0, 1, 2);
    assertThat(CalibrationGroups.of(names, Pattern.compile("kos[0-9]+")))
        .containsExactly(0, 0, 1, 2);
    // an optional group that took no part ("_a", "_b" match with it absent): each its own source
    assertThat(
            CalibrationGroups.of(
                List.of("kos01_1.jpg", "_a.jpg", "_b.jpg", "kos01_2.jpg"),
                Pattern.compile("^(kos[0-9]+)?_")))
        .containsExactly(0, 1, 2, 0);
    assertThatThrownBy(() -> CalibrationGroups.compile("(unclosed", "--calibration-groups"))
        .hasMessageContaining("--calibration-groups is not a regular expression")
        .hasMessageContaining("(unclosed");
  }

  @Test
  void foldsMustNotOutnumberTheSources() {
    int[] source = {0, 0, 1, 1};
    assertThatThrownBy(
            () ->
                CrossCalibration.scores(
                    embedded(4), null, source, 3, 1, (s, i) -> null, (b, h) -> null, Progress.NONE))
        .hasMessageContaining("was 3 folds for 2 sources");
  }

  @Test
  void foldsMustBeBetweenTwoAndTheImageCount() {
    assertThatThrownBy(
            () ->
                CrossCalibration.scores(
                    embedded(3), null, null, 4, 1, (s, i) -> null, (b, h) -> null, Progress.NONE))
        .hasMessageContaining("2 <= folds <= images");
    assertThatThrownBy(
            () ->
                CrossCalibration.scores(
                    embedded(3), null, null, 1, 1, (s, i) -> null, (b, h) -> null, Progress.NONE))
        .hasMessageContaining("was 1 folds for 3 images");
  }
}
