package io.tailwatch.tools;

import static org.assertj.core.api.Assertions.assertThat;

import io.tailwatch.detector.testing.TinyBackbone;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * fit and score on the inputs a real user has: masks beside the images, corrupt files, nested
 * folders with repeated names, and arguments that are wrong from the start.
 */
class CliInputHandlingTest {
  @TempDir Path dir;
  Path model;
  StringWriter err;
  StringWriter out;

  @BeforeEach
  void setUp() throws Exception {
    model = TinyBackbone.write(dir, "tiny.onnx");
  }

  int run(String... args) {
    err = new StringWriter();
    out = new StringWriter();
    CommandLine cli = TailwatchCli.commandLine();
    cli.setErr(new PrintWriter(err, true));
    cli.setOut(new PrintWriter(out, true));
    return cli.execute(args);
  }

  /** The tiny backbone's recipe, then the given arguments. */
  int fit(String... args) {
    List<String> all = new ArrayList<>(Arrays.asList(args));
    all.addAll(
        List.of(
            "--backbone",
            model.toString(),
            "--layers",
            "feat_a,feat_b",
            "--pretrain-dim",
            "36",
            "--target-dim",
            "32",
            "--resize",
            "32",
            "--device",
            "cpu"));
    all.add(0, "fit");
    return run(all.toArray(String[]::new));
  }

  static void jpeg(Path file, Random r) throws Exception {
    CliTest.writeTexture(file, r, false); // PNG bytes
    java.awt.image.BufferedImage img = javax.imageio.ImageIO.read(file.toFile());
    Files.delete(file);
    javax.imageio.ImageIO.write(img, "jpeg", file.toFile());
  }

  @Test
  void fitNeverTrainsOnMasksAndSaysWhatItUsed() throws Exception {
    Path imgs = Files.createDirectories(dir.resolve("MT_Free/Imgs"));
    Random r = new Random(3);
    for (int i = 0; i < 12; i++) {
      jpeg(imgs.resolve("exp" + i + ".jpg"), r);
      CliTest.writeTexture(imgs.resolve("exp" + i + ".png"), r, true); // the same-name mask
    }
    Path bank = dir.resolve("bank.twb");
    int rc =
        fit("--images", imgs.toString(), "--out", bank.toString(), "--calibration-holdout", "0");
    assertThat(rc).as(err.toString()).isZero();
    assertThat(err.toString()).contains("12 images used, 12 skipped (12 masks or ground truth");
    // readable by the task managers' user (the Flink image's uid 9999), not 0600
    assertThat(
            java.nio.file.attribute.PosixFilePermissions.toString(
                Files.getPosixFilePermissions(bank)))
        .isEqualTo("rw-r--r--");

    rc =
        fit(
            "--images",
            imgs.toString(),
            "--out",
            bank.toString(),
            "--calibration-holdout",
            "0",
            "--exclude",
            "exp1*.jpg");
    assertThat(rc).as(err.toString()).isZero();
    assertThat(err.toString())
        .contains("9 images used, 15 skipped (12 masks or ground truth, 3 not");
  }

  @Test
  void aTruncatedImageStopsFitByNameOrIsSkippedWhenAsked() throws Exception {
    Path imgs = Files.createDirectories(dir.resolve("good"));
    Random r = new Random(4);
    for (int i = 0; i < 24; i++) {
      jpeg(imgs.resolve("n" + i + ".jpg"), r);
    }
    Path broken = imgs.resolve("n5.jpg");
    byte[] whole = Files.readAllBytes(broken);
    Files.write(broken, Arrays.copyOf(whole, whole.length / 2));
    Path bank = dir.resolve("bank.twb");
    assertThat(fit("--images", imgs.toString(), "--out", bank.toString())).isEqualTo(2);
    assertThat(err.toString()).contains("cannot decode").contains("n5.jpg").contains("--skip-bad");
    assertThat(bank).doesNotExist();

    assertThat(fit("--images", imgs.toString(), "--out", bank.toString(), "--skip-bad"))
        .as(err.toString())
        .isZero();
    assertThat(err.toString())
        .contains("skipped")
        .contains("n5.jpg")
        .contains("1 unreadable skipped");
    assertThat(bank).exists();
  }

  @Test
  void fitChecksEveryArgumentBeforeReadingAnything() {
    assertThat(
            fit(
                "--images",
                dir.resolve("nowhere").toString(),
                "--out",
                "b.twb",
                "--false-alarm-rate",
                "0.7"))
        .isEqualTo(2);
    assertThat(err.toString()).contains("--false-alarm-rate must be in (0, 0.5), was 0.7");
    assertThat(fit("--images", dir.resolve("nowhere").toString(), "--out", dir.toString()))
        .isEqualTo(2);
    assertThat(err.toString()).contains("--out is a folder");
  }

  @Test
  void scoreGoesOnPastABadFileWritesTheCsvWholeAndSaysWhatFailed() throws Exception {
    Random r = new Random(6);
    Path train = Files.createDirectories(dir.resolve("train"));
    for (int i = 0; i < 20; i++) {
      CliTest.writeTexture(train.resolve("n" + i + ".png"), r, false);
    }
    Path bank = dir.resolve("bank.twb");
    assertThat(fit("--images", train.toString(), "--out", bank.toString()))
        .as(err.toString())
        .isZero();

    // two cameras' folders with the same file names, and one unreadable file
    Path incoming = dir.resolve("incoming");
    for (String camera : List.of("cam-a", "cam-b")) {
      Path d = Files.createDirectories(incoming.resolve(camera));
      for (int i = 0; i < 3; i++) {
        CliTest.writeTexture(d.resolve("f" + i + ".png"), r, i == 2);
      }
    }
    Files.writeString(incoming.resolve("cam-b/f9.png"), "not an image");
    Path csv = dir.resolve("out/scores.csv");
    Path maps = dir.resolve("maps");
    int rc =
        run(
            "score",
            "--bank",
            bank.toString(),
            "--images",
            incoming.toString(),
            "--recursive",
            "--out",
            csv.toString(),
            "--maps",
            maps.toString(),
            "--backbone",
            model.toString(),
            "--device",
            "cpu");
    assertThat(rc).as("some images failed: non-zero exit").isEqualTo(1);
    assertThat(err.toString()).contains("1 images could not be read").contains("f9.png");
    List<String> lines = Files.readAllLines(csv);
    // without --threshold the bank's calibrated threshold is used
    assertThat(lines.get(0)).isEqualTo("image,score,anomalous,regions,calibrated");
    assertThat(lines).hasSize(7);
    try (Stream<Path> s = Files.walk(maps)) {
      assertThat(s.filter(p -> p.toString().endsWith(".heatmap.png")).count())
          .as("one heatmap per scored image, none overwritten")
          .isEqualTo(6);
    }
    assertThat(maps.resolve("cam-a/f0.heatmap.png")).exists();
    assertThat(maps.resolve("cam-b/f0.heatmap.png")).exists();
    try (Stream<Path> s = Files.list(csv.getParent())) {
      assertThat(s.map(p -> p.getFileName().toString())).containsExactly("scores.csv");
    }
  }

  @Test
  void fitScoreAndEvaluateLookForTheBackboneWhereTheDemoPutsIt() {
    BackboneOptions options = new BackboneOptions();
    assertThat(options.resolveModelDir())
        .isEqualTo(io.tailwatch.detector.features.ModelStore.defaultDir());
    options.modelDir = dir;
    assertThat(options.resolveModelDir()).isEqualTo(dir);
  }
}
