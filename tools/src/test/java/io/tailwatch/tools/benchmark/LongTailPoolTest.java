package io.tailwatch.tools.benchmark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tailwatch.detector.data.MagneticTile;
import io.tailwatch.detector.image.FloatImage;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LongTailPoolTest {
  @TempDir Path dir;

  @Test
  void stepManifestOfSimulatedClassesIsReproducibleAndItsImagesLoad() throws Exception {
    LongTailPool pool = new LongTailPool(7, 64, 30, null);
    LongTailManifest m = pool.build("step-k4", 0.1, 3, 4);
    assertThat(m).isEqualTo(pool.build("step-k4", 0.1, 3, 4));
    assertThat(m.classes()).hasSize(5);
    assertThat(m.classes().stream().filter(LongTailManifest.ClassEntry::tail))
        .hasSize(3)
        .allSatisfy(c -> assertThat(c.train()).hasSize(4));
    assertThat(m.classes().stream().filter(c -> !c.tail()))
        .allSatisfy(
            c -> {
              assertThat(c.train()).hasSize(30);
              assertThat(c.noise()).hasSize(3);
            });
    assertThat(m.trainImages()).isEqualTo(3 * 4 + 2 * 33);

    LongTailManifest.ClassEntry head =
        m.classes().stream().filter(c -> !c.tail()).findFirst().orElseThrow();
    FloatImage normal = pool.image(head.train().get(0));
    assertThat(normal.width()).isEqualTo(64);
    assertThat(pool.load(head.train().get(0)).mask()).isNull();
    FloatImage mask = pool.load(head.noise().get(0)).mask();
    assertThat(mask.gray()).contains(1f);
    // test images are disjoint from training images
    assertThat(head.testGood()).doesNotContainAnyElementsOf(head.train());

    Path file = m.write(dir.resolve("manifests"));
    assertThat(file.getFileName().toString()).isEqualTo("step-k4-noise0.10-seed03.json");
    assertThat(LongTailManifest.read(file)).isEqualTo(m);
  }

  @Test
  void magneticTileJoinsThePoolAsOneRealClass() throws Exception {
    Path root = fakeMagneticTile(dir.resolve("mt"), 40, 30);
    LongTailPool pool = new LongTailPool(7, 64, 30, root);
    LongTailManifest m = pool.build("pareto", 0.1, 1, 3);
    assertThat(m.classes()).hasSize(6);
    LongTailManifest.ClassEntry mt =
        m.classes().stream()
            .filter(c -> c.name().equals(LongTailPool.MAGNETIC_TILE))
            .findFirst()
            .orElseThrow();
    assertThat(mt.testGood())
        .hasSize(3)
        .allSatisfy(id -> assertThat(id).startsWith("mt:MT_Free/Imgs/"));
    assertThat(mt.testBad()).hasSize(3).noneSatisfy(id -> assertThat(id).startsWith("mt:MT_Free/"));
    assertThat(pool.image(mt.testGood().get(0)).width()).isEqualTo(20);
    assertThat(pool.load(mt.testGood().get(0)).mask()).isNull();
    assertThat(pool.load(mt.testBad().get(0)).mask().gray()).contains(1f);
    assertThat(m.classes().stream().mapToInt(c -> c.train().size()).sorted().toArray())
        .as("pareto sizes from a pool of 30 per class")
        .containsExactly(5, 5, 5, 5, 10, 30);

    assertThatThrownBy(() -> pool.image("mt:../outside.jpg")).hasMessageContaining("escapes");
    assertThatThrownBy(() -> new LongTailPool(7, 64, 30, null).image("mt:MT_Free/Imgs/a.jpg"))
        .hasMessageContaining("TAILWATCH_DATA_DIR");
    assertThatThrownBy(() -> pool.build("zipf", 0.1, 1, 3))
        .hasMessageContaining("step-k1, step-k4 or pareto");
  }

  /**
   * Real MVTec-layout classes join the pool (and with the simulator off are the whole pool): normal
   * training images from train/good, the noise and the defective tests from test/<defect> (never
   * the same image), masks from ground_truth, every image read at the manifest's side.
   */
  @Test
  void realMvtecLayoutClassesMakeThePool() throws Exception {
    Path real = dir.resolve("industrial");
    for (String c : new String[] {"set-a/one", "set-a/two", "set-b/three", "set-b/four"}) {
      fakeMvtecClass(real.resolve(c), 30, 6, 8);
    }
    LongTailPool pool = new LongTailPool(7, 64, 20, null, real, false);
    LongTailManifest m = pool.build("step-k4", 0.1, 2, 4);
    assertThat(m).isEqualTo(pool.build("step-k4", 0.1, 2, 4));
    assertThat(m.classes())
        .extracting(LongTailManifest.ClassEntry::name)
        .containsExactly("set-a/one", "set-a/two", "set-b/four", "set-b/three");
    LongTailManifest.ClassEntry head =
        m.classes().stream().filter(c -> !c.tail()).findFirst().orElseThrow();
    assertThat(head.train()).hasSize(20).allSatisfy(id -> assertThat(id).contains("/train/good/"));
    assertThat(head.noise()).hasSize(2).allSatisfy(id -> assertThat(id).contains("/test/crack/"));
    assertThat(head.testBad()).hasSize(4).doesNotContainAnyElementsOf(head.noise());
    assertThat(head.testGood()).hasSize(4).allSatisfy(id -> assertThat(id).contains("/test/good/"));
    assertThat(m.classes().stream().filter(LongTailManifest.ClassEntry::tail))
        .allSatisfy(c -> assertThat(c.train()).hasSize(4));
    LongTailPool.Sample bad = pool.load(head.testBad().get(0));
    assertThat(bad.image().width()).isEqualTo(64);
    assertThat(bad.mask().gray()).contains(1f);
    assertThat(pool.load(head.testGood().get(0)).mask()).isNull();
    assertThatThrownBy(() -> pool.image("real:../../outside.png")).hasMessageContaining("escapes");
    assertThatThrownBy(() -> new LongTailPool(7, 64, 20, null).image(head.train().get(0)))
        .hasMessageContaining("--real");
    // a class whose defects cannot make a test set is named
    fakeMvtecClass(real.resolve("set-c/thin"), 30, 6, 1);
    assertThatThrownBy(() -> pool.build("step-k4", 0.1, 2, 4))
        .hasMessageContaining("set-c/thin: too few test images");
  }

  static void fakeMvtecClass(Path c, int train, int testGood, int defects) throws Exception {
    write(c.resolve("train/good"), "t", train, false);
    write(c.resolve("test/good"), "g", testGood, false);
    Path crack = c.resolve("test/crack");
    Files.createDirectories(crack);
    Path truth = c.resolve("ground_truth/crack");
    Files.createDirectories(truth);
    for (int i = 0; i < defects; i++) {
      BufferedImage img = new BufferedImage(40, 40, BufferedImage.TYPE_BYTE_GRAY);
      ImageIO.write(img, "png", crack.resolve("d_" + i + ".png").toFile());
      BufferedImage mask = new BufferedImage(40, 40, BufferedImage.TYPE_BYTE_GRAY);
      for (int y = 10; y < 20; y++) {
        for (int x = 10; x < 20; x++) {
          mask.getRaster().setSample(x, y, 0, 255);
        }
      }
      ImageIO.write(mask, "png", truth.resolve("d_" + i + "_mask.png").toFile());
    }
  }

  static Path fakeMagneticTile(Path root, int free, int defectsPerType) throws Exception {
    write(root.resolve(MagneticTile.FREE).resolve("Imgs"), "free", free, false);
    for (String d : MagneticTile.DEFECTS) {
      write(root.resolve(d).resolve("Imgs"), d, defectsPerType, true);
    }
    return root;
  }

  private static void write(Path imgs, String prefix, int n, boolean masks) throws Exception {
    Files.createDirectories(imgs);
    for (int i = 0; i < n; i++) {
      BufferedImage img = new BufferedImage(20, 16, BufferedImage.TYPE_BYTE_GRAY);
      img.getRaster().setSample(i % 20, i % 16, 0, 200);
      ImageIO.write(img, "jpg", imgs.resolve(prefix + "_" + i + ".jpg").toFile());
      if (masks) {
        BufferedImage mask = new BufferedImage(20, 16, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 4; y < 8; y++) {
          for (int x = 4; x < 8; x++) {
            mask.getRaster().setSample(x, y, 0, 255);
          }
        }
        ImageIO.write(mask, "png", imgs.resolve(prefix + "_" + i + ".png").toFile());
      }
    }
  }

  @Test
  void markdownReportsMeanAndStdOverSeeds() {
    assertThat(LongTailReport.meanStd(new double[] {0.9, 1.0})).isEqualTo("0.9500 ± 0.0707");
    assertThat(LongTailReport.meanStd(new double[] {0.9})).isEqualTo("0.9000");
  }

  /**
   * The tail and head columns average each seed's own tail (head) classes, and a class without
   * masks leaves the pixel mean to the others.
   */
  @Test
  void tailAndHeadMeansFollowEachSeedsTailClasses() {
    java.util.List<String> none = java.util.List.of();
    LongTailManifest m =
        new LongTailManifest(
            "step-k4",
            0.1,
            1,
            7,
            64,
            java.util.List.of(
                new LongTailManifest.ClassEntry("a", true, none, none, none, none),
                new LongTailManifest.ClassEntry("b", false, none, none, none, none),
                new LongTailManifest.ClassEntry("c", false, none, none, none, none)));
    LongTailRun.MethodResult r =
        new LongTailRun.MethodResult(
            "patchcore",
            java.util.Map.of("a", 0.6, "b", 0.9, "c", 1.0),
            java.util.Map.of("a", 0.8, "b", Double.NaN, "c", 0.9),
            1,
            10);
    LongTailRun.Result result = new LongTailRun.Result(m, java.util.List.of(r), 1, 1, null);
    assertThat(LongTailReport.meanOver(result, 0, true)).isEqualTo(0.6);
    assertThat(LongTailReport.meanOver(result, 0, false))
        .isCloseTo(0.95, org.assertj.core.data.Offset.offset(1e-9));
    assertThat(r.meanPixelAuroc()).isCloseTo(0.85, org.assertj.core.data.Offset.offset(1e-9));
    assertThat(LongTailReport.markdown(java.util.List.of(result), 1))
        .contains("| step-k4 | 0.10 | 1 | patchcore | 0.8333 | 0.6000 | 0.9500 | 0.8500 |");
  }
}
