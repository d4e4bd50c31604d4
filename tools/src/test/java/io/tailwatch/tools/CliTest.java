package io.tailwatch.tools;

import static org.assertj.core.api.Assertions.assertThat;

import io.tailwatch.detector.bank.MemoryBank;
import io.tailwatch.detector.testing.TinyBackbone;
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

/** fit and score through the real command line, on generated images and a generated backbone. */
class CliTest {
  @TempDir Path dir;
  Path model;
  final StringWriter err = new StringWriter();

  @BeforeEach
  void setUp() throws Exception {
    model = TinyBackbone.write(dir, "tiny.onnx");
  }

  /** Every bad* image of a score CSV scores above every good* one. */
  static void assertSeparates(List<String> csvLines) {
    double worstGood =
        csvLines.stream()
            .skip(1)
            .filter(l -> l.startsWith("good"))
            .mapToDouble(l -> Double.parseDouble(l.split(",")[1]))
            .max()
            .orElseThrow();
    double bestBad =
        csvLines.stream()
            .skip(1)
            .filter(l -> l.startsWith("bad"))
            .mapToDouble(l -> Double.parseDouble(l.split(",")[1]))
            .min()
            .orElseThrow();
    assertThat(bestBad).isGreaterThan(worstGood);
  }

  int run(String... args) {
    CommandLine cli = TailwatchCli.commandLine();
    cli.setErr(new PrintWriter(err, true));
    return cli.execute(args);
  }

  static void writeTexture(Path file, Random r, boolean defect) throws Exception {
    BufferedImage img = new BufferedImage(48, 40, BufferedImage.TYPE_BYTE_GRAY);
    double phase = r.nextDouble() * 6;
    for (int y = 0; y < 40; y++) {
      for (int x = 0; x < 48; x++) {
        double v = 128 + 50 * Math.sin((x + y) * 0.6 + phase) + r.nextGaussian() * 6;
        if (defect && x > 20 && x < 32 && y > 14 && y < 26) {
          v = 250;
        }
        img.getRaster().setSample(x, y, 0, (int) Math.max(0, Math.min(255, v)));
      }
    }
    ImageIO.write(img, "png", file.toFile());
  }

  @Test
  void fitWithCrossFittedCalibrationKeepsEveryImageInTheBank() throws Exception {
    Path train = Files.createDirectories(dir.resolve("train"));
    Random r = new Random(9);
    for (int i = 0; i < 12; i++) {
      writeTexture(train.resolve("n" + i + ".png"), r, false);
    }
    Path bank = dir.resolve("cv.twb");
    java.util.List<String> args =
        new java.util.ArrayList<>(
            java.util.List.of(
                TinyCli.withTinyBackbone(
                    model,
                    "fit",
                    "--images",
                    train.toString(),
                    "--out",
                    bank.toString(),
                    "--calibration-folds",
                    "3")));
    assertThat(run(args.toArray(String[]::new))).as(err.toString()).isZero();
    MemoryBank loaded = MemoryBank.load(bank);
    // no hold-out: all 12 images in the bank, all 12 scored by banks of the other two folds
    assertThat(loaded.count()).isEqualTo(Math.round(12 * 256 * 0.2f));
    io.tailwatch.detector.scoring.ScoreCalibration calibration =
        io.tailwatch.detector.scoring.ScoreCalibration.fromMap(loaded.header().calibration());
    assertThat(calibration.count()).isEqualTo(12);
    args.set(args.indexOf("--calibration-folds") + 1, "13");
    assertThat(run(args.toArray(String[]::new))).isNotZero();
    assertThat(err.toString()).contains("--calibration-folds 13 needs at least as many images");
    // n0..n11.png grouped by their last digit: ten sources (n0 with n10, n1 with n11)
    args.addAll(java.util.List.of("--calibration-groups", "([0-9])\\.png$"));
    args.set(args.indexOf("--calibration-folds") + 1, "11");
    assertThat(run(args.toArray(String[]::new))).isNotZero();
    assertThat(err.toString())
        .contains(
            "--calibration-folds 11 needs at least as many sources, --calibration-groups found 10");
    args.set(args.indexOf("--calibration-folds") + 1, "3");
    assertThat(run(args.toArray(String[]::new))).as(err.toString()).isZero();
    assertThat(
            io.tailwatch.detector.scoring.ScoreCalibration.fromMap(
                    MemoryBank.load(bank).header().calibration())
                .count())
        .isEqualTo(12);
  }

  @Test
  void fitOnTilesRecordsTheTilingAndScoreUsesIt() throws Exception {
    Path train = Files.createDirectories(dir.resolve("train"));
    Path test = Files.createDirectories(dir.resolve("test"));
    Random r = new Random(21);
    for (int i = 0; i < 12; i++) {
      writeTexture(train.resolve("n" + i + ".png"), r, false);
    }
    for (int i = 0; i < 3; i++) {
      writeTexture(test.resolve("good" + i + ".png"), r, false);
      writeTexture(test.resolve("bad" + i + ".png"), r, true);
    }
    Path bank = dir.resolve("tiles.twb");
    assertThat(
            run(
                "fit",
                "--images",
                train.toString(),
                "--out",
                bank.toString(),
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
                "--coreset",
                "0.2",
                "--device",
                "cpu",
                "--tile-size",
                "24",
                "--image-top-k",
                "3",
                "--calibration-holdout",
                "0.25"))
        .as(err.toString())
        .isZero();
    MemoryBank loaded = MemoryBank.load(bank);
    // 48 x 40 frames in 24-pixel tiles: x at 0, 24 and y at 0, 16 -> 4 tiles of 256 positions
    assertThat(loaded.header().params())
        .containsEntry("tile.size", 24)
        .containsEntry("tile.stride", 24)
        .containsEntry("image.top-k", 3);
    assertThat(loaded.count()).isEqualTo(Math.round(9 * 4 * 256 * 0.2f));
    Path csv = dir.resolve("tiles.csv");
    assertThat(
            run(
                "score",
                "--bank",
                bank.toString(),
                "--images",
                test.toString(),
                "--out",
                csv.toString(),
                "--backbone",
                model.toString(),
                "--device",
                "cpu"))
        .as(err.toString())
        .isZero();
    assertThat(err.toString())
        .contains("in tiles 24 px, stride 24")
        .contains("image score the mean of the top 3 patches");
    List<String> lines = Files.readAllLines(csv);
    assertThat(lines).hasSize(7);
    double worstGood = 0;
    double bestBad = Double.MAX_VALUE;
    for (String line : lines.subList(1, lines.size())) {
      String[] f = line.split(",");
      double score = Double.parseDouble(f[1]);
      if (f[0].startsWith("good")) {
        worstGood = Math.max(worstGood, score);
      } else {
        bestBad = Math.min(bestBad, score);
      }
    }
    assertThat(bestBad).isGreaterThan(worstGood);
  }

  @Test
  void fitThenScoreWritesBankCsvAndHeatmaps() throws Exception {
    Path train = Files.createDirectories(dir.resolve("train"));
    Path test = Files.createDirectories(dir.resolve("test"));
    Random r = new Random(5);
    for (int i = 0; i < 24; i++) {
      writeTexture(train.resolve("n" + i + ".png"), r, false);
    }
    for (int i = 0; i < 4; i++) {
      writeTexture(test.resolve("good" + i + ".png"), r, false);
      writeTexture(test.resolve("bad" + i + ".png"), r, true);
    }
    Path bank = dir.resolve("bank.twb");
    int fit =
        run(
            "fit",
            "--images",
            train.toString(),
            "--out",
            bank.toString(),
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
            "--coreset",
            "0.2",
            "--device",
            "cpu");
    assertThat(fit).as(err.toString()).isZero();
    MemoryBank loaded = MemoryBank.load(bank);
    // 10% (2 images) are held out of the bank to calibrate the threshold
    assertThat(loaded.count()).isEqualTo(Math.round(22 * 256 * 0.2f));
    io.tailwatch.detector.scoring.ScoreCalibration calibration =
        io.tailwatch.detector.scoring.ScoreCalibration.fromMap(loaded.header().calibration());
    assertThat(calibration.count()).isEqualTo(2);
    assertThat(calibration.threshold()).isGreaterThan(calibration.mean());
    assertThat(loaded.header().backbone().layers()).containsExactly("feat_a", "feat_b");
    assertThat(loaded.header().preprocessing().resize()).isEqualTo(32);

    // SoftPatch: LOF-filtered, LOF-weighted bank in the same format
    Path soft = dir.resolve("soft.twb");
    assertThat(
            run(
                "fit",
                "--method",
                "softpatch",
                "--images",
                train.toString(),
                "--out",
                soft.toString(),
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
                "--coreset",
                "0.2",
                "--device",
                "cpu"))
        .as(err.toString())
        .isZero();
    MemoryBank softBank = MemoryBank.load(soft);
    assertThat(softBank.header().method()).isEqualTo("softpatch");
    assertThat(softBank.weights()).hasSize(softBank.count());
    // TailedCore needs the pooled last layer, which the tiny CNN lacks: one clear line
    assertThat(
            run(
                "fit",
                "--method",
                "tailedcore",
                "--images",
                train.toString(),
                "--out",
                soft.toString(),
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
                "cpu"))
        .isEqualTo(2);
    assertThat(err.toString()).contains("TailedCore needs global embeddings");
    assertThat(
            run(
                "fit",
                "--method",
                "padim",
                "--images",
                train.toString(),
                "--out",
                soft.toString(),
                "--backbone",
                model.toString()))
        .isEqualTo(2);
    assertThat(err.toString()).contains("unknown fit method 'padim'");

    Path csv = dir.resolve("scores.csv");
    Path maps = dir.resolve("maps");
    int score =
        run(
            "score",
            "--bank",
            bank.toString(),
            "--images",
            test.toString(),
            "--out",
            csv.toString(),
            "--maps",
            maps.toString(),
            "--backbone",
            model.toString(),
            "--device",
            "cpu",
            "--threshold",
            "1e9");
    assertThat(score).as(err.toString()).isZero();
    List<String> lines = Files.readAllLines(csv);
    assertThat(lines.get(0)).isEqualTo("image,score,anomalous,regions,calibrated");
    assertThat(lines).hasSize(9);
    assertSeparates(lines);
    assertThat(maps.resolve("bad0.heatmap.png")).exists();
    BufferedImage heat = ImageIO.read(maps.resolve("bad0.heatmap.png").toFile());
    assertThat(heat.getWidth()).isEqualTo(48); // overlay at the frame's own size
    assertThat(heat.getHeight()).isEqualTo(40);
  }

  /**
   * fit --index ivf stores the index with the bank and fits the threshold searching as the job
   * will; score searches it through --ivf-probes and separates the same images; an unknown index
   * type is one clear line.
   */
  @Test
  void fitWithAnIvfIndexAndScoreThroughIt() throws Exception {
    Path train = Files.createDirectories(dir.resolve("train"));
    Path test = Files.createDirectories(dir.resolve("test"));
    Random r = new Random(6);
    for (int i = 0; i < 24; i++) {
      writeTexture(train.resolve("n" + i + ".png"), r, false);
    }
    for (int i = 0; i < 4; i++) {
      writeTexture(test.resolve("good" + i + ".png"), r, false);
      writeTexture(test.resolve("bad" + i + ".png"), r, true);
    }
    List<String> common =
        List.of(
            "--images",
            train.toString(),
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
            "--coreset",
            "0.2",
            "--device",
            "cpu");
    Path bank = dir.resolve("ivf.twb");
    List<String> fit = new java.util.ArrayList<>(List.of("fit", "--out", bank.toString()));
    fit.addAll(common);
    fit.addAll(List.of("--index", "ivf", "--ivf-lists", "16", "--ivf-probes", "4"));
    java.io.StringWriter out = new java.io.StringWriter();
    CommandLine cli = TailwatchCli.commandLine();
    cli.setErr(new PrintWriter(err, true));
    cli.setOut(new PrintWriter(out, true));
    assertThat(cli.execute(fit.toArray(String[]::new))).as(err.toString()).isZero();
    assertThat(out.toString()).contains("ivf index: 16 lists").contains("detector.ivf-probes: 4");
    MemoryBank loaded = MemoryBank.load(bank);
    assertThat(loaded.header().hasIvf()).isTrue();
    assertThat(loaded.ivf().lists()).isEqualTo(16);
    assertThat(loaded.ivf().count()).isEqualTo(loaded.count());
    assertThat(loaded.header().calibration()).isNotNull();

    Path csv = dir.resolve("ivf.csv");
    assertThat(
            run(
                "score",
                "--bank",
                bank.toString(),
                "--images",
                test.toString(),
                "--out",
                csv.toString(),
                "--ivf-probes",
                "4",
                "--backbone",
                model.toString(),
                "--device",
                "cpu"))
        .as(err.toString())
        .isZero();
    List<String> lines = Files.readAllLines(csv);
    assertThat(lines).hasSize(9);
    assertSeparates(lines);

    List<String> hnsw =
        new java.util.ArrayList<>(List.of("fit", "--out", "x.twb", "--index", "hnsw"));
    hnsw.addAll(common);
    assertThat(run(hnsw.toArray(String[]::new))).isEqualTo(2);
    assertThat(err.toString()).contains("--index must be exact or ivf, was 'hnsw'");
  }

  @Test
  void simulateWritesFramesThatFitFits() throws Exception {
    // what the compose stack's bank-init service does, on the tiny backbone
    Path out = dir.resolve("sim");
    assertThat(
            run(
                "simulate",
                "--out-dir",
                out.toString(),
                "--frames",
                "30",
                "--size",
                "64",
                "--defect-rate",
                "0.2",
                "--first-index",
                "0"))
        .as(err.toString())
        .isZero();
    long good;
    try (var files = Files.list(out.resolve("good"))) {
      good = files.count();
    }
    long all;
    try (var files = Files.walk(out)) {
      all = files.filter(Files::isRegularFile).count();
    }
    assertThat(all).isEqualTo(30);
    assertThat(good).isBetween(15L, 29L);
    assertThat(
            run(
                "fit",
                "--images",
                out.resolve("good").toString(),
                "--out",
                dir.resolve("sim.twb").toString(),
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
                "cpu"))
        .as(err.toString())
        .isZero();
    assertThat(MemoryBank.load(dir.resolve("sim.twb")).count()).isPositive();

    assertThat(run("simulate", "--out-dir", out.toString(), "--frames", "0")).isEqualTo(2);
    assertThat(err.toString()).contains("--out-dir needs --frames > 0");
  }

  @Test
  void benchmarkBuildWritesManifestsThatRunReadsIntoTablesAndAPlot() throws Exception {
    Path manifests = dir.resolve("manifests");
    assertThat(
            run(
                "bench",
                "longtail",
                "build",
                "--no-magnetic-tile",
                "--tail",
                "step-k1",
                "--noise",
                "0.1,0.2",
                "--seeds",
                "1",
                "--pool",
                "24",
                "--test",
                "3",
                "--size",
                "64",
                "--out-dir",
                manifests.toString()))
        .as(err.toString())
        .isZero();
    try (var files = Files.list(manifests)) {
      assertThat(files.map(f -> f.getFileName().toString()).sorted().toList())
          .containsExactly("step-k1-noise0.10-seed01.json", "step-k1-noise0.20-seed01.json");
    }
    Path out = dir.resolve("bench");
    assertThat(
            run(
                "bench",
                "longtail",
                "run",
                manifests.toString(),
                "--methods",
                "patchcore,softpatch",
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
                "cpu",
                "--coreset",
                "0.2",
                "--out-dir",
                out.toString()))
        .as(err.toString())
        .isZero();
    String md = Files.readString(out.resolve("results.md"));
    assertThat(md)
        .contains(
            "| step-k1 | 0.10 | 1 | patchcore |", "| step-k1 | 0.20 | 1 | softpatch |", "brushed");
    assertThat(out.resolve("auroc-vs-noise-step-k1.png")).isNotEmptyFile();

    assertThat(run("bench", "longtail", "run", dir.resolve("none").toString())).isEqualTo(2);
    assertThat(
            run(
                "bench",
                "longtail",
                "build",
                "--tail",
                "zipf",
                "--no-magnetic-tile",
                "--out-dir",
                out.toString()))
        .isEqualTo(2);
    assertThat(err.toString()).contains("tail must be step-k1, step-k4 or pareto");
  }

  @Test
  void userErrorsGetOneClearLineAndExitCode2() throws Exception {
    Path empty = Files.createDirectories(dir.resolve("empty"));
    assertThat(
            run(
                "fit",
                "--images",
                empty.toString(),
                "--out",
                dir.resolve("b.twb").toString(),
                "--backbone",
                model.toString()))
        .isEqualTo(2);
    assertThat(err.toString()).contains("no images").doesNotContain("\tat ");

    Path imgs = Files.createDirectories(dir.resolve("imgs"));
    writeTexture(imgs.resolve("a.png"), new Random(1), false);
    assertThat(
            run(
                "fit",
                "--images",
                imgs.toString(),
                "--out",
                dir.resolve("b.twb").toString(),
                "--backbone",
                dir.resolve("missing.onnx").toString()))
        .isEqualTo(2);
    assertThat(err.toString()).contains("backbone model file not found");

    assertThat(
            run(
                "fit",
                "--images",
                imgs.toString(),
                "--out",
                dir.resolve("b.twb").toString(),
                "--backbone",
                model.toString(),
                "--layers",
                "feat_s8,feat_s16"))
        .isEqualTo(2);
    assertThat(err.toString()).contains("has no 4-D feature output 'feat_s8'");

    assertThat(
            run(
                "fit",
                "--images",
                imgs.toString(),
                "--out",
                dir.resolve("b.twb").toString(),
                "--backbone",
                model.toString(),
                "--image-top-k",
                "0"))
        .isEqualTo(2);
    assertThat(err.toString()).contains("--image-top-k must be in [1, 64], was 0");

    Files.write(imgs.resolve("broken.png"), new byte[] {(byte) 0x89, 'P', 'N', 'G', 0, 1});
    assertThat(
            run(
                "fit",
                "--images",
                imgs.toString(),
                "--out",
                dir.resolve("b.twb").toString(),
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
                "--calibration-holdout",
                "0"))
        .isEqualTo(2);
    assertThat(err.toString())
        .contains("broken.png: broken PNG")
        .doesNotContain("broken.png: " + imgs);

    Files.write(dir.resolve("bad.twb"), new byte[100]);
    assertThat(
            run(
                "score",
                "--bank",
                dir.resolve("bad.twb").toString(),
                "--images",
                imgs.toString(),
                "--out",
                dir.resolve("s.csv").toString()))
        .isEqualTo(2);
    assertThat(err.toString()).contains("not a tailwatch bank");

    assertThat(run("fit", "--images", imgs.toString(), "--out", "x.twb", "--device", "gpu"))
        .isEqualTo(2);
    assertThat(err.toString()).contains("device must be one of auto, cpu, cuda");

    Files.delete(imgs.resolve("broken.png"));
    assertThat(
            run(
                "fit",
                "--images",
                imgs.toString(),
                "--out",
                dir.resolve("b.twb").toString(),
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
                "--calibration-holdout",
                "0.2"))
        .isEqualTo(2);
    assertThat(err.toString()).contains("leaves 0 for calibration; need at least 2");

    assertThat(run("simulate", "--rate", "0")).isEqualTo(2);
    assertThat(err.toString()).contains("--rate must be positive");
    assertThat(
            run(
                "models",
                "pull",
                "--from",
                dir.resolve("nope.onnx").toString(),
                "--model-dir",
                dir.resolve("m").toString()))
        .isEqualTo(2);
    assertThat(err.toString()).contains("nope.onnx: no such file");
    assertThat(
            run(
                "models",
                "pull",
                "--from",
                model.toString(),
                "--model-dir",
                dir.resolve("m").toString()))
        .isEqualTo(2);
    assertThat(err.toString())
        .contains("is not the ONNX Model Zoo's mobilenetv2-12-int8.onnx")
        .contains("--accept-unverified");
    assertThat(
            run(
                "models",
                "pull",
                "--from",
                model.toString(),
                "--accept-unverified",
                "--model-dir",
                dir.resolve("m").toString()))
        .isEqualTo(2);
    assertThat(err.toString()).contains("expected [N, 3, 224, 224]");
  }
}
