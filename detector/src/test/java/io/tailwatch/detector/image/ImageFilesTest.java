package io.tailwatch.detector.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageFilesTest {
  @TempDir Path dir;

  private Path touch(String relative) throws Exception {
    Path p = dir.resolve(relative);
    Files.createDirectories(p.getParent());
    return Files.write(p, new byte[] {1});
  }

  @Test
  void magneticTileMasksBesideTheirJpegsAreNotImages() throws Exception {
    touch("MT_Free/Imgs/exp1_num_1.jpg");
    touch("MT_Free/Imgs/exp1_num_1.png"); // its mask
    touch("MT_Free/Imgs/exp1_num_2.jpg");
    touch("MT_Free/Imgs/exp1_num_2.png");
    touch("MT_Free/Imgs/lonely.png"); // a PNG image with no JPEG twin stays
    ImageFiles.Selection s = ImageFiles.select(dir.resolve("MT_Free/Imgs"), false, null, null);
    assertThat(s.images())
        .extracting(p -> p.getFileName().toString())
        .containsExactly("exp1_num_1.jpg", "exp1_num_2.jpg", "lonely.png");
    assertThat(s.masks()).isEqualTo(2);
    assertThat(s.describe()).startsWith("3 images used, 2 skipped (2 masks or ground truth");
  }

  @Test
  void mvtecGroundTruthAndMaskFilesAreLeftOutAndGlobsFilter() throws Exception {
    touch("bottle/train/good/000.png");
    touch("bottle/train/good/001.png");
    touch("bottle/test/broken/000.png");
    touch("bottle/ground_truth/broken/000_mask.png");
    touch("bottle/other/002_mask.png");
    ImageFiles.Selection all = ImageFiles.select(dir.resolve("bottle"), true, List.of(), List.of());
    assertThat(all.images()).hasSize(3);
    assertThat(all.masks()).isEqualTo(2);
    ImageFiles.Selection good =
        ImageFiles.select(dir.resolve("bottle"), true, List.of("train/**"), List.of("**/001.png"));
    assertThat(good.images())
        .extracting(p -> p.getFileName().toString())
        .containsExactly("000.png");
    assertThat(good.excluded()).isEqualTo(2);
    assertThatThrownBy(
            () -> ImageFiles.select(dir.resolve("bottle"), true, List.of("nothing/**"), null))
        .hasMessageContaining("after leaving out 2 masks and 3 files not matching");
  }

  @Test
  void listKeepsEverythingForReplays() throws Exception {
    touch("a.jpg");
    touch("a.png");
    assertThat(ImageFiles.list(dir, false)).hasSize(2);
  }
}
