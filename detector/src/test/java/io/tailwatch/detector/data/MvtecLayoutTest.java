package io.tailwatch.detector.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MvtecLayoutTest {
  @TempDir Path root;

  /** Empty files are enough: the reader lists and pairs files, it does not decode them. */
  static void touch(Path p) throws Exception {
    Files.createDirectories(p.getParent());
    Files.write(p, new byte[] {1});
  }

  static Path mvtecClass(Path dir, boolean masks) throws Exception {
    touch(dir.resolve("train/good/000.png"));
    touch(dir.resolve("train/good/001.png"));
    touch(dir.resolve("test/good/000.png"));
    touch(dir.resolve("test/crack/000.jpg"));
    touch(dir.resolve("test/crack/001.jpg"));
    touch(dir.resolve("test/hole/000.png"));
    if (masks) {
      touch(dir.resolve("ground_truth/crack/000_mask.png"));
      touch(dir.resolve("ground_truth/crack/001_mask.png"));
      touch(dir.resolve("ground_truth/hole/000_mask.png"));
    }
    return dir;
  }

  @Test
  void readsAClassWithItsMasksAndLabels() throws Exception {
    Path c = mvtecClass(root.resolve("bottle"), true);
    MvtecLayout.MvtecClass read = MvtecLayout.read(c, "bottle");
    assertThat(read.train()).hasSize(2).allSatisfy(l -> assertThat(l.anomalous()).isFalse());
    assertThat(read.test()).hasSize(4);
    assertThat(read.testGood()).isEqualTo(1);
    assertThat(read.defective()).isEqualTo(3);
    assertThat(read.hasMasks()).isTrue();
    LabeledImage crack =
        read.test().stream().filter(l -> l.type().equals("crack")).findFirst().get();
    assertThat(crack.mask()).isEqualTo(c.resolve("ground_truth/crack/000_mask.png"));
    assertThat(read.test().stream().filter(l -> !l.anomalous()))
        .allSatisfy(l -> assertThat(l.mask()).isNull());
  }

  @Test
  void aClassWithoutGroundTruthHasImageLabelsOnly() throws Exception {
    Path c = mvtecClass(root.resolve("impeller"), false);
    MvtecLayout.MvtecClass read = MvtecLayout.read(c, "impeller");
    assertThat(read.hasMasks()).isFalse();
    assertThat(read.test()).allSatisfy(l -> assertThat(l.mask()).isNull());
  }

  @Test
  void aMissingMaskIsAnErrorNamingTheFile() throws Exception {
    Path c = mvtecClass(root.resolve("bottle"), true);
    Files.delete(c.resolve("ground_truth/crack/001_mask.png"));
    assertThatThrownBy(() -> MvtecLayout.read(c, "bottle"))
        .isInstanceOf(NoSuchFileException.class)
        .hasMessageContaining("ground_truth/crack/001_mask.png")
        .hasMessageContaining("test/crack/001.jpg");
  }

  @Test
  void aTestSetWithoutGoodImagesIsAnError() throws Exception {
    Path c = mvtecClass(root.resolve("bottle"), true);
    Files.delete(c.resolve("test/good/000.png"));
    Files.delete(c.resolve("test/good"));
    assertThatThrownBy(() -> MvtecLayout.read(c, "bottle"))
        .hasMessageContaining("needs both test/good/");
  }

  @Test
  void findsClassesBelowARootSortedAndSkipsTestOnlyFolders() throws Exception {
    mvtecClass(root.resolve("aitex/fabric01"), true);
    mvtecClass(root.resolve("aitex/fabric00"), true);
    mvtecClass(root.resolve("mvtec_ad/bottle"), true);
    touch(root.resolve("aitex/highres/test/good/000.png")); // no train/good: not a class
    touch(root.resolve("aitex/SOURCE.md"));
    assertThat(MvtecLayout.findClasses(root).stream().map(p -> MvtecLayout.name(root, p)))
        .containsExactly("aitex/fabric00", "aitex/fabric01", "mvtec_ad/bottle");
    Path one = root.resolve("mvtec_ad/bottle");
    assertThat(MvtecLayout.findClasses(one)).containsExactly(one);
    assertThat(MvtecLayout.name(one, one)).isEqualTo("bottle");
  }

  @Test
  void aFolderWithoutClassesIsAnErrorNamingIt() throws Exception {
    touch(root.resolve("scenes/abu-airport-1.mat"));
    assertThatThrownBy(() -> MvtecLayout.findClasses(root.resolve("scenes")))
        .isInstanceOf(NoSuchFileException.class)
        .hasMessageContaining("scenes")
        .hasMessageContaining("train/good/");
  }
}
