package io.tailwatch.tools;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tailwatch.detector.eval.EvaluationResult;
import io.tailwatch.detector.testing.TinyBackbone;
import io.tailwatch.tools.evaluation.ClassOutcome;
import java.awt.image.BufferedImage;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code evaluate --dataset DIR} on generated MVTec-layout classes with a generated backbone: every
 * class found, metrics and the fitted threshold's rates per class, the means, JSON and plots; a
 * broken class reported in its row while the others still run, and the exit code saying so.
 */
class MvtecEvaluateCommandTest {
  static final int W = 48;
  static final int H = 40;
  @TempDir Path dir;
  Path model;
  final StringWriter err = new StringWriter();

  @BeforeEach
  void setUp() throws Exception {
    model = TinyBackbone.write(dir, "tiny.onnx");
  }

  /** A striped texture; a defect is a bright square whose mask is written beside it. */
  static void texture(Path file, Path mask, Random r, boolean defect) throws Exception {
    Files.createDirectories(file.getParent());
    BufferedImage img = new BufferedImage(W, H, BufferedImage.TYPE_BYTE_GRAY);
    BufferedImage m = new BufferedImage(W, H, BufferedImage.TYPE_BYTE_GRAY);
    double phase = r.nextDouble() * 6;
    int x0 = 8 + r.nextInt(24);
    int y0 = 8 + r.nextInt(18);
    for (int y = 0; y < H; y++) {
      for (int x = 0; x < W; x++) {
        double v = 128 + 50 * Math.sin((x + y) * 0.6 + phase) + r.nextGaussian() * 6;
        boolean in = defect && x >= x0 && x < x0 + 10 && y >= y0 && y < y0 + 10;
        if (in) {
          v = 250;
          m.getRaster().setSample(x, y, 0, 255);
        }
        img.getRaster().setSample(x, y, 0, (int) Math.max(0, Math.min(255, v)));
      }
    }
    ImageIO.write(img, "png", file.toFile());
    if (mask != null) {
      Files.createDirectories(mask.getParent());
      ImageIO.write(m, "png", mask.toFile());
    }
  }

  static void mvtecClass(Path c, boolean masks, long seed) throws Exception {
    Random r = new Random(seed);
    for (int i = 0; i < 30; i++) {
      texture(c.resolve("train/good/" + i + ".png"), null, r, false);
    }
    for (int i = 0; i < 8; i++) {
      texture(c.resolve("test/good/" + i + ".png"), null, r, false);
      texture(
          c.resolve("test/spot/" + i + ".png"),
          masks ? c.resolve("ground_truth/spot/" + i + "_mask.png") : null,
          r,
          true);
    }
  }

  int evaluate(Path dataset, Path out, String methods, String... extra) {
    CommandLine cli = TailwatchCli.commandLine();
    cli.setErr(new PrintWriter(err, true));
    this.cli = cli;
    List<String> args =
        new java.util.ArrayList<>(
            List.of(
                "--dataset",
                dataset.toString(),
                "--out-dir",
                out.toString(),
                "--methods",
                methods,
                "--calibration-holdout",
                "0.2"));
    args.addAll(List.of(extra));
    return cli.execute(TinyCli.withTinyBackbone(model, "evaluate", args.toArray(String[]::new)));
  }

  CommandLine cli;

  List<ClassOutcome> outcomes() {
    return cli.getSubcommands().get("evaluate").<EvaluateCommand>getCommand().lastOutcomes();
  }

  /**
   * A test-only set (no train/good/, as the highres/ folders) is evaluated with the normal images
   * of other folders; without --train-good it is not a class.
   */
  @Test
  void aTestOnlySetIsFittedOnTheFoldersGiven() throws Exception {
    mvtecClass(dir.resolve("a"), true, 5);
    mvtecClass(dir.resolve("b"), true, 6);
    Path testOnly = dir.resolve("highres");
    for (String sub : new String[] {"test", "ground_truth"}) {
      Path from = dir.resolve("a").resolve(sub);
      try (var files = Files.walk(from)) {
        for (Path p : files.filter(Files::isRegularFile).toList()) {
          Path to = testOnly.resolve(sub).resolve(from.relativize(p).toString());
          Files.createDirectories(to.getParent());
          Files.copy(p, to);
        }
      }
    }
    int code =
        evaluate(
            testOnly,
            dir.resolve("out"),
            "patchcore",
            "--train-good",
            dir.resolve("a/train/good") + "," + dir.resolve("b/train/good"));
    assertThat(code).as(err.toString()).isZero();
    EvaluationResult r = outcomes().get(0).result();
    assertThat(outcomes().get(0).className()).isEqualTo("highres");
    assertThat(r.trainImages() + r.calibrationImages()).isEqualTo(60); // 30 + 30
    assertThat(r.overall().imageAuroc()).isGreaterThan(0.9);

    assertThat(evaluate(testOnly, dir.resolve("out2"), "patchcore")).isNotZero();
    assertThat(
            evaluate(
                dir.resolve("a/test/good"),
                dir.resolve("out3"),
                "patchcore",
                "--train-good",
                dir.resolve("b/train/good").toString()))
        .isNotZero();
    assertThat(err.toString()).contains("--train-good needs --dataset to be one folder with test/");
  }

  @Test
  void everyClassEvaluatedAndAFailingClassReportedWhileTheOthersRun() throws Exception {
    Path root = dir.resolve("pool");
    mvtecClass(root.resolve("textures/striped"), true, 1);
    mvtecClass(root.resolve("textures/unlabelled"), false, 2);
    mvtecClass(root.resolve("broken/missing-mask"), true, 3);
    Files.delete(root.resolve("broken/missing-mask/ground_truth/spot/3_mask.png"));
    mvtecClass(root.resolve("broken/small-mask"), true, 4);
    BufferedImage small = new BufferedImage(W / 2, H / 2, BufferedImage.TYPE_BYTE_GRAY);
    ImageIO.write(
        small, "png", root.resolve("broken/small-mask/ground_truth/spot/5_mask.png").toFile());
    Files.createDirectories(root.resolve("textures/highres/test/good")); // not a class
    Path out = dir.resolve("out");

    int code = evaluate(root, out, "patchcore,softpatch");

    assertThat(code).as(err.toString()).isEqualTo(EvaluateCommand.FAILED_EXIT_CODE);
    List<ClassOutcome> outcomes = outcomes();
    assertThat(outcomes)
        .extracting(o -> o.className() + "/" + o.method())
        .containsExactly(
            "broken/missing-mask/patchcore",
            "broken/missing-mask/softpatch",
            "broken/small-mask/patchcore",
            "broken/small-mask/softpatch",
            "textures/striped/patchcore",
            "textures/striped/softpatch",
            "textures/unlabelled/patchcore",
            "textures/unlabelled/softpatch");
    assertThat(outcomes.get(0).error()).contains("ground_truth/spot/3_mask.png");
    assertThat(outcomes.get(2).error()).contains("5_mask.png is 24x20 but its image");

    EvaluationResult striped = outcomes.get(4).result();
    assertThat(striped.trainImages()).isEqualTo(24);
    assertThat(striped.calibrationImages()).isEqualTo(6);
    // a bright 10x10 square on stripes: easy for any patch detector
    assertThat(striped.overall().imageAuroc()).isGreaterThan(0.9);
    assertThat(striped.overall().pixelAuroc()).isGreaterThan(0.8);
    assertThat(striped.overall().f1Max()).isGreaterThan(0.8);
    EvaluationResult.AtThreshold t = striped.atThreshold();
    assertThat(t.normals()).isEqualTo(8);
    assertThat(t.anomalous()).isEqualTo(8);
    assertThat(t.falseAlarms()).isEqualTo(striped.scores().negativesAbove(t.threshold()));
    assertThat(t.empirical()).as("6 held-out images: the Gaussian quantile").isFalse();
    EvaluationResult unlabelled = outcomes.get(6).result();
    assertThat(unlabelled.overall().imageAuroc()).isGreaterThan(0.9);
    assertThat(unlabelled.overall().pixelAuroc()).as("no masks, no pixel metrics").isNaN();

    String md = Files.readString(out.resolve("evaluation-pool.md"));
    assertThat(md)
        .contains("| patchcore | 2 |")
        .contains("| softpatch | 2 |")
        .contains("| broken/missing-mask | patchcore | - | - | **failed**: NoSuchFileException")
        .contains("### textures/striped (patchcore)");
    JsonNode json = new ObjectMapper().readTree(out.resolve("evaluation-pool.json").toFile());
    assertThat(json.get("classes")).hasSize(8);
    assertThat(json.get("means").get("patchcore").get("failed").asInt()).isEqualTo(2);
    JsonNode stripedJson = json.get("classes").get(4);
    assertThat(stripedJson.get("overall").get("imageAuroc").asDouble())
        .isEqualTo(striped.overall().imageAuroc());
    assertThat(stripedJson.get("scores")).hasSize(16);
    assertThat(json.get("classes").get(6).get("overall").get("pixelAuroc").isNull()).isTrue();
    assertThat(json.get("classes").get(0).get("error").asText()).contains("3_mask.png");
    assertThat(out.resolve("plots"))
        .isDirectoryContaining("glob:**/textures-striped-patchcore-roc.png")
        .isDirectoryContaining("glob:**/textures-unlabelled-softpatch-scores.png");
    assertThat(
            ImageIO.read(out.resolve("plots/textures-striped-patchcore-roc.png").toFile())
                .getWidth())
        .isPositive();
  }

  @Test
  void classesCanBeChosenByGlob() throws Exception {
    Path root = dir.resolve("pool");
    mvtecClass(root.resolve("textures/striped"), true, 1);
    mvtecClass(root.resolve("textures/other"), false, 2);
    mvtecClass(root.resolve("boards/a"), true, 3);
    assertThat(evaluate(root, dir.resolve("out"), "patchcore", "--classes", "textures/s*,boards/*"))
        .as(err.toString())
        .isZero();
    assertThat(outcomes())
        .extracting(ClassOutcome::className)
        .containsExactly("boards/a", "textures/striped");
    assertThat(evaluate(root, dir.resolve("out2"), "patchcore", "--classes", "nothing/*"))
        .isNotZero();
    assertThat(err.toString()).contains("--classes nothing/* matches no class");
  }

  @Test
  void oneClassFolderIsEvaluatedByItself() throws Exception {
    Path c = dir.resolve("striped");
    mvtecClass(c, true, 7);
    int code = evaluate(c, dir.resolve("out"), "patchcore");
    assertThat(code).as(err.toString()).isZero();
    assertThat(outcomes())
        .singleElement()
        .satisfies(o -> assertThat(o.className()).isEqualTo("striped"));
    assertThat(dir.resolve("out/evaluation-striped.md")).exists();
  }

  @Test
  void tilesAreFittedAndScoredAndStitchedBackToTheFrame() throws Exception {
    Path c = dir.resolve("striped");
    mvtecClass(c, true, 7);
    int code =
        evaluate(c, dir.resolve("out"), "patchcore", "--tile-size", "32", "--tile-stride", "16");
    assertThat(code).as(err.toString()).isZero();
    EvaluationResult r = outcomes().get(0).result();
    assertThat(r.method()).isEqualTo("patchcore-tile32/16");
    // 48 x 40 frames in 32-pixel tiles every 16: x at 0, 16 and y at 0, 8 -> 4 tiles an image,
    // each resized to the 32-pixel input: 16 x 16 = 256 positions a tile
    assertThat(r.trainPatches()).isEqualTo(24L * 4 * 256);
    assertThat(r.overall().imageAuroc()).isGreaterThan(0.9);
    assertThat(r.overall().pixelAuroc()).isGreaterThan(0.8);
    assertThat(r.atThreshold()).isNotNull();
    assertThat(dir.resolve("out/plots/striped-patchcore-tile32-16-roc.png")).exists();
    assertThat(evaluate(c, dir.resolve("out2"), "patchcore", "--tile-stride", "16")).isNotZero();
    assertThat(err.toString()).contains("--tile-stride needs --tile-size");
  }

  @Test
  void calibrationGroupsKeepASourceInOneFoldAndTheReportSaysSo() throws Exception {
    Path c = dir.resolve("striped");
    mvtecClass(c, true, 7);
    // train/good/0..29.png: the tens digit ("", "1", "2") names three sources of ten images
    String byTens = "^([0-9]*?)[0-9]\\.png$";
    assertThat(
            evaluate(
                c,
                dir.resolve("out"),
                "patchcore",
                "--calibration-folds",
                "3",
                "--calibration-groups",
                byTens))
        .as(err.toString())
        .isZero();
    EvaluationResult r = outcomes().get(0).result();
    assertThat(r.calibration().count()).isEqualTo(30);
    assertThat(r.calibrationScores()).hasSize(30);
    String report = Files.readString(dir.resolve("out/evaluation-striped.md"));
    assertThat(report)
        .contains("in one fold")
        .contains(byTens)
        .contains("every class at its fitted threshold, counted together: false alarms ");
    String json = Files.readString(dir.resolve("out/evaluation-striped.json"));
    assertThat(json).contains("\"calibrationScores\"").contains("\"calibrationGroups\"");
    // four folds cannot be dealt from three sources: the class fails, naming them
    assertThat(
            evaluate(
                c,
                dir.resolve("out2"),
                "patchcore",
                "--calibration-folds",
                "4",
                "--calibration-groups",
                byTens))
        .isNotZero();
    assertThat(outcomes().get(0).error()).contains("4 folds for 3 sources");
    assertThat(evaluate(c, dir.resolve("out3"), "patchcore", "--calibration-groups", byTens))
        .isNotZero();
    assertThat(err.toString()).contains("--calibration-groups needs --calibration-folds");
    assertThat(
            evaluate(
                c,
                dir.resolve("out4"),
                "patchcore",
                "--calibration-folds",
                "3",
                "--calibration-groups",
                "(unclosed"))
        .isNotZero();
    assertThat(err.toString()).contains("--calibration-groups is not a regular expression");
  }

  @Test
  void crossFittedCalibrationScoresEveryTrainingImage() throws Exception {
    Path c = dir.resolve("striped");
    mvtecClass(c, true, 7);
    assertThat(
            evaluate(
                c,
                dir.resolve("out"),
                "patchcore,softpatch",
                "--calibration-folds",
                "3",
                "--tile-size",
                "32"))
        .as(err.toString())
        .isZero();
    for (ClassOutcome o : outcomes()) {
      EvaluationResult r = o.result();
      // no hold-out: the bank sees all 30 images, the threshold their 30 cross-fitted scores
      assertThat(r.trainImages()).as(o.method()).isEqualTo(30);
      assertThat(r.calibrationImages()).isEqualTo(30);
      assertThat(r.calibrationFolds()).isEqualTo(3);
      assertThat(r.calibration().count()).isEqualTo(30);
      assertThat(r.markdown()).contains("30 3-fold cross-fitted training images");
    }
    assertThat(evaluate(c, dir.resolve("out2"), "patchcore", "--calibration-folds", "1"))
        .isNotZero();
    assertThat(err.toString()).contains("--calibration-folds must be 0");
  }

  @Test
  void aFolderOfNeitherClassesNorScenesIsAClearError() throws Exception {
    Path empty = Files.createDirectories(dir.resolve("empty"));
    int code = evaluate(empty, dir.resolve("out"), "patchcore");
    assertThat(code).isNotZero();
    assertThat(err.toString()).contains(empty.toString());
  }
}
