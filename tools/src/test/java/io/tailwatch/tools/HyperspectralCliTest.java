package io.tailwatch.tools;

import static org.assertj.core.api.Assertions.assertThat;

import io.tailwatch.detector.hyperspectral.AutoencoderDetector;
import io.tailwatch.detector.hyperspectral.CubeInterleave;
import io.tailwatch.detector.hyperspectral.CubeSampleType;
import io.tailwatch.detector.hyperspectral.EnviCubes;
import io.tailwatch.detector.hyperspectral.SpectralCube;
import io.tailwatch.detector.onnx.ExecutionProvider;
import io.tailwatch.tools.train.HyperspectralEvaluation;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import us.hebi.matlab.mat.format.Mat5;
import us.hebi.matlab.mat.types.MatFile;
import us.hebi.matlab.mat.types.MatlabType;
import us.hebi.matlab.mat.types.Matrix;
import us.hebi.matlab.mat.types.Sink;
import us.hebi.matlab.mat.types.Sinks;

/**
 * evaluate and train on hyperspectral scenes through the real command line, on a scene the test
 * writes.
 */
class HyperspectralCliTest {
  @TempDir Path dir;
  final StringWriter err = new StringWriter();

  CommandLine cli;

  int run(String... args) {
    cli = TailwatchCli.commandLine();
    cli.setErr(new PrintWriter(err, true));
    return cli.execute(args);
  }

  /**
   * 30 x 30 x 12 uint16 scene: two-endmember background, a 3 x 3 target; written as MAT v5 with
   * 'map'.
   */
  static SpectralCube writeScene(Path file) throws Exception {
    return writeScene(file, false);
  }

  /**
   * @param singular the last band a copy of the one before: the band covariance is singular
   */
  static SpectralCube writeScene(Path file, boolean singular) throws Exception {
    int h = 30;
    int w = 30;
    int b = 12;
    SplittableRandom r = new SplittableRandom(11);
    Matrix data = Mat5.newMatrix(new int[] {h, w, b}, MatlabType.UInt16);
    Matrix map = Mat5.newMatrix(new int[] {h, w}, MatlabType.UInt8);
    float[] bip = new float[h * w * b];
    for (int row = 0; row < h; row++) {
      for (int col = 0; col < w; col++) {
        boolean target = row >= 12 && row < 15 && col >= 4 && col < 7;
        if (target) {
          map.setDouble(new int[] {row, col}, 1);
        }
        double a = r.nextDouble();
        for (int k = 0; k < b; k++) {
          double v =
              target ? 900 + 300 * Math.sin(k) : a * (500 + 40 * k) + (1 - a) * (1500 - 60 * k);
          int value = (int) Math.round(v + r.nextGaussian() * 5);
          if (singular && k == b - 1) {
            value = (int) bip[(row * w + col) * b + k - 1];
          }
          data.setDouble(new int[] {row, col, k}, value);
          bip[(row * w + col) * b + k] = value;
        }
      }
    }
    MatFile mat = Mat5.newMatFile().addArray("data", data).addArray("map", map);
    try (Sink sink = Sinks.newStreamingFile(file.toFile())) {
      Mat5.newWriter(sink).setDeflateLevel(6).writeMat(mat);
    }
    return new SpectralCube(h, w, b, bip);
  }

  @Test
  void evaluateWritesTablesAndMapsForEveryMethod() throws Exception {
    Path scenes = Files.createDirectories(dir.resolve("scenes"));
    writeScene(scenes.resolve("tiny.mat"));
    Path out = dir.resolve("out");
    int code =
        run(
            "evaluate",
            "--dataset",
            scenes.toString(),
            "--seeds",
            "2",
            "--ae-epochs",
            "15",
            "--ae-hidden",
            "16,3,16",
            "--ae-batch",
            "64",
            "--ae-lr",
            "3e-3",
            "--bank-size",
            "64",
            "--spectral-dim",
            "4",
            "--local-rx-window",
            "11,3",
            "--out-dir",
            out.toString());
    assertThat(code).as(err.toString()).isZero();
    var results = cli.getSubcommands().get("evaluate").<EvaluateCommand>getCommand().lastScenes();
    assertThat(results).hasSize(1);
    assertThat(results.get(0).anomalous()).isEqualTo(9);
    assertThat(results.get(0).methods())
        .extracting(HyperspectralEvaluation.MethodResult::method)
        .containsExactly(
            "RX ridge 0",
            "RX ridge 1e-4",
            "Local RX",
            "Spectral bank",
            "AE",
            "AE+LAMP",
            "AE+IW",
            "AE+LAMP+IW");
    for (HyperspectralEvaluation.MethodResult m : results.get(0).methods()) {
      assertThat(m.meanAuroc()).as(m.method()).isGreaterThan(0.9);
      assertThat(m.auroc()).hasSize(m.method().contains("RX") ? 1 : 2);
    }
    String table = Files.readString(out.resolve("evaluation-scenes.md"));
    assertThat(table)
        .contains("Pixel AUROC", "Pixel AUPR", "| tiny | 30x30x12 | 9 |", "ridge=0*trace/B");
    assertThat(out.resolve("maps").resolve("tiny"))
        .isDirectoryContaining("glob:**/rx-ridge-0.png")
        .isDirectoryContaining("glob:**/ae-lamp-iw.png")
        .isDirectoryContaining("glob:**/ground-truth.png");
  }

  @Test
  void aMethodOrSceneThatFailsIsReportedAndTheRestStillRuns() throws Exception {
    Path scenes = Files.createDirectories(dir.resolve("scenes"));
    writeScene(scenes.resolve("a-singular.mat"), true);
    Files.write(scenes.resolve("b-corrupt.mat"), new byte[] {1, 2, 3, 4});
    writeScene(scenes.resolve("c-fine.mat"));
    Path out = dir.resolve("out");
    int code =
        run(
            "evaluate",
            "--dataset",
            scenes.toString(),
            "--seeds",
            "1",
            "--ae-epochs",
            "3",
            "--ae-hidden",
            "16,3,16",
            "--bank-size",
            "64",
            "--spectral-dim",
            "4",
            "--local-rx-window",
            "11,3",
            "--out-dir",
            out.toString());
    assertThat(code).as(err.toString()).isEqualTo(EvaluateCommand.FAILED_EXIT_CODE);
    var results = cli.getSubcommands().get("evaluate").<EvaluateCommand>getCommand().lastScenes();
    assertThat(results)
        .extracting(HyperspectralEvaluation.SceneResult::scene)
        .containsExactly("a-singular", "b-corrupt.mat", "c-fine");
    // ridge-0 RX cannot invert a singular covariance; the ridged RX and the rest still run
    var singular = results.get(0).methods();
    assertThat(singular.get(0).error()).contains("positive definite");
    assertThat(singular.subList(1, singular.size()))
        .allSatisfy(m -> assertThat(m.isFailed()).as(m.method()).isFalse());
    assertThat(results.get(1).methods()).allSatisfy(m -> assertThat(m.isFailed()).isTrue());
    assertThat(results.get(2).methods()).noneMatch(HyperspectralEvaluation.MethodResult::isFailed);
    String table = Files.readString(out.resolve("evaluation-scenes.md"));
    assertThat(table)
        .contains("| a-singular | 30x30x12 | 9 | **failed**: ")
        .contains("(2 of 3 scenes)");
  }

  @Test
  void trainWritesAnOnnxModelWithItsConfiguration() throws Exception {
    SpectralCube cube = writeScene(dir.resolve("scene.mat"));
    Path envi =
        EnviCubes.write(
            cube,
            dir.resolve("scene-envi"),
            CubeInterleave.BIL,
            CubeSampleType.UINT16,
            ByteOrder.BIG_ENDIAN);
    Path model = dir.resolve("models/ae.onnx");
    int code =
        run(
            "train",
            "--input",
            dir.resolve("scene.mat") + "," + envi,
            "--out",
            model.toString(),
            "--iw",
            "--lamp",
            "exp",
            "--lamp-param",
            "0.5",
            "--ae-epochs",
            "4",
            "--ae-hidden",
            "8,2,8");
    assertThat(code).as(err.toString()).isZero();
    assertThat(
            cli.getSubcommands()
                .get("train")
                .<TrainCommand>getCommand()
                .lastTrained()
                .exportMaxAbsDiff())
        .isLessThan(1e-4);
    try (AutoencoderDetector detector = AutoencoderDetector.open(model, ExecutionProvider.CPU, 1)) {
      assertThat(detector.metadata())
          .containsEntry("train.variant", "AE+LAMP+IW")
          .containsEntry("train.lamp", "exp alpha=0.5")
          .containsEntry("train.hidden", "8,2,8")
          .containsEntry("train.epochs", "4");
      assertThat(detector.score(cube)).hasSize(900);
    }
  }

  @Test
  void clearErrorsForMissingScenesAndBadOptions() throws Exception {
    assertThat(run("evaluate", "--dataset", "abu", "--data-dir", dir.toString())).isNotZero();
    assertThat(err.toString()).contains("no abu-*.mat scenes under");
    writeScene(dir.resolve("s.mat"));
    assertThat(
            run(
                "train",
                "--input",
                dir.resolve("s.mat").toString(),
                "--out",
                dir.resolve("m.onnx").toString(),
                "--lamp",
                "cubic"))
        .isNotZero();
    assertThat(err.toString())
        .contains("LAMP mode must be one of none, scale, power, exp, log-barrier");
    assertThat(run("train", "--input", dir.resolve("nope.mat").toString(), "--out", "m.onnx"))
        .isNotZero();
    assertThat(err.toString()).contains("--input " + dir.resolve("nope.mat") + " is not a file");
  }
}
