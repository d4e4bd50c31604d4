package io.tailwatch.tools;

import static org.assertj.core.api.Assertions.assertThat;

import io.tailwatch.tools.bench.KnnBenchmark;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The bench command's plumbing on tiny sizes (the figures themselves come from real runs, see
 * docs/performance.md).
 */
class BenchCommandTest {
  /** The CLI with its error stream captured, so a failed run's message shows in the assertion. */
  static CommandLine cli(StringWriter err) {
    CommandLine cli = TailwatchCli.commandLine();
    cli.setErr(new PrintWriter(err, true));
    return cli;
  }

  @Test
  void knnTableWithAMissingPeerInterpreter(@TempDir Path dir) throws Exception {
    StringWriter err = new StringWriter();
    CommandLine cli = cli(err);
    Path out = dir.resolve("knn.md");
    int rc =
        cli.execute(
            "bench",
            "knn",
            "--bank-sizes",
            "300,600",
            "--dims",
            "16",
            "--queries",
            "50",
            "--threads",
            "1",
            "--repeat",
            "1",
            "--gemm-size",
            "64",
            "--python",
            dir.resolve("no-python").toString(),
            "--out",
            out.toString());
    assertThat(rc).as(err.toString()).isZero();
    String table = Files.readString(out);
    assertThat(table)
        .contains("GEMM peak, 1 thread(s)")
        .contains("| 300 | 16 | 1 | fp32 |")
        .contains("| 600 | 16 | 1 | fp32 |")
        .contains("faiss q/s")
        .contains("n/a");
  }

  @Test
  void int8RowsReportTheirRecallAgainstFp32(@TempDir Path dir) throws Exception {
    StringWriter err = new StringWriter();
    CommandLine cli = cli(err);
    Path out = dir.resolve("knn.md");
    int rc =
        cli.execute(
            "bench",
            "knn",
            "--bank-sizes",
            "500",
            "--dims",
            "32",
            "--queries",
            "60",
            "--threads",
            "1",
            "--repeat",
            "1",
            "--gemm-size",
            "64",
            "--peers",
            "",
            "--precision",
            "int8,fp32",
            "--out",
            out.toString());
    assertThat(rc).as(err.toString()).isZero();
    String table = Files.readString(out);
    assertThat(table)
        .contains("int8 GEMM peak, 1 thread(s)")
        .contains("| 500 | 32 | 1 | fp32 |")
        .containsPattern("\\| 500 \\| 32 \\| 1 \\| int8 \\|.*\\| recall (0\\.9\\d*|1\\.0000) \\|");
    assertThat(cli.execute("bench", "knn", "--precision", "int4")).isNotZero();
  }

  /**
   * --ann adds the approximate table: our IVF reaches each recall target (the probes that did are
   * printed; recall 1 is always reachable by probing every list) and the FAISS columns say n/a
   * without the peer; a bad target is refused before any work.
   */
  @Test
  void annTableGivesTheProbesThatReachEachRecallTarget(@TempDir Path dir) throws Exception {
    StringWriter err = new StringWriter();
    CommandLine cli = cli(err);
    Path out = dir.resolve("knn.md");
    int rc =
        cli.execute(
            "bench",
            "knn",
            "--bank-sizes",
            "2000",
            "--dims",
            "16",
            "--queries",
            "200",
            "--threads",
            "2",
            "--repeat",
            "1",
            "--gemm-size",
            "64",
            "--peers",
            "",
            "--ann",
            "0.9,1.0",
            "--ivf-lists",
            "20",
            "--out",
            out.toString());
    assertThat(rc).as(err.toString()).isZero();
    String table = Files.readString(out);
    assertThat(table)
        .contains("Approximate 1-NN at matched recall")
        .containsPattern(
            "\\| 2000 \\| 16 \\| 2 \\| 0\\.90 \\| 20 / \\d+ \\| (0\\.9\\d*|1\\.0000) \\| \\d+ \\|")
        .containsPattern("\\| 2000 \\| 16 \\| 2 \\| 1\\.00 \\| 20 / \\d+ \\| 1\\.0000 \\|")
        .contains("n/a");
    assertThat(cli.execute("bench", "knn", "--ann", "1.5")).isEqualTo(2);
    assertThat(err.toString()).contains("--ann recall targets must be in (0, 1], got 1.5");
    assertThat(
            cli.execute(
                "bench", "knn", "--bank-sizes", "100", "--ann", "0.9", "--ivf-lists", "200"))
        .isEqualTo(2);
    assertThat(err.toString()).contains("--ivf-lists 200 exceeds the bank size 100");
  }

  /**
   * bench/gpu.sh is meant for a short device window with no second try: every bench command in it
   * must parse with the real CLI (an unknown or misspelt option would waste the window).
   */
  @Test
  void theGpuScriptsCommandsParse() throws Exception {
    String script = Files.readString(Path.of("..", "bench", "gpu.sh")).replace("\\\n", " ");
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile("(?m)^step \\S+ \\d+ \\$JAVA (.*)$").matcher(script);
    int commands = 0;
    while (m.find()) {
      String line = m.group(1).replace("\"$OUT\"", "/tmp/gpu-bench").replace("\"\"", "''");
      List<String> args = new java.util.ArrayList<>();
      for (String a : line.trim().split("\\s+")) {
        args.add(a.equals("''") ? "" : a);
      }
      CommandLine cli = TailwatchCli.commandLine();
      cli.parseArgs(args.toArray(String[]::new)); // throws on an unknown option or a bad value
      assertThat(args.get(0)).isEqualTo("bench");
      assertThat(args).contains("--device", "cuda");
      commands++;
    }
    assertThat(commands).as("bench commands in bench/gpu.sh").isEqualTo(4);
  }

  @Test
  void detectorTableOnATinyBackbone(@TempDir Path dir) throws Exception {
    Path model = io.tailwatch.detector.testing.TinyBackbone.write(dir, "tiny.onnx");
    StringWriter err = new StringWriter();
    CommandLine cli = cli(err);
    Path out = dir.resolve("detector.md");
    int rc =
        cli.execute(
            "bench",
            "detector",
            "--backbone",
            model.toString(),
            "--layers",
            "feat_a,feat_b",
            "--pretrain-dim",
            "36",
            "--target-dim",
            "32",
            "--device",
            "cpu",
            "--threads",
            "1",
            "--bank-size",
            "1000",
            "--batch-sizes",
            "1,4",
            "--frames",
            "8",
            "--size",
            "64",
            "--repeat",
            "1",
            "--tiled-side",
            "300",
            "--tiled-frames",
            "2",
            "--tile-size",
            "128",
            "--tile-stride",
            "96",
            "--ivf-probes",
            "0,10",
            "--ivf-lists",
            "10",
            "--out",
            out.toString());
    assertThat(rc).as(err.toString()).isZero();
    String table = Files.readString(out);
    assertThat(table)
        .contains("IVF index: 10 lists")
        .containsPattern("\\| 4 \\| fp32 ivf 10 \\| [0-9.]+ \\|")
        // every list probed: the index finds every exact neighbour of the 8 frames' patches
        .containsPattern("\\| 10 \\| 1\\.0000 \\| [0-9,]+ \\|")
        .contains("## Large frames on tiles: 300x300 (0.1 megapixels) PNG")
        // 300 px in 128-px tiles every 96 px: 3 x 3 windows
        .containsPattern("\\| fp32 \\| 9 \\| [0-9]+ \\| [0-9.]+ \\| [0-9.]+ \\|")
        .containsPattern("\\| int8 \\| 9 \\| [0-9]+ \\| [0-9.]+ \\| [0-9.]+ \\|")
        .contains("bank 1,000 x 32")
        .contains("cores available to the JVM")
        .containsPattern("\\| 1 \\| fp32 \\| [0-9.]+ \\|")
        .containsPattern("\\| 4 \\| int8 \\| [0-9.]+ \\|");
    assertThat(
            cli.execute(
                "bench",
                "detector",
                "--backbone",
                model.toString(),
                "--frames",
                "4",
                "--batch-sizes",
                "8"))
        .isNotZero();
  }

  @Test
  void memoryTableHasEveryStepPerPrecision(@TempDir Path dir) throws Exception {
    Path out = dir.resolve("memory.md");
    int rc =
        TailwatchCli.commandLine()
            .execute(
                "bench", "memory", "--bank-size", "5000", "--dim", "16", "--out", out.toString());
    assertThat(rc).isZero();
    assertThat(Files.readString(out))
        .contains("5,000 x 16")
        .contains("| fp32 | bank mapped, pages touched, norms |")
        .contains("| int8 | int8 index built |")
        .contains("| int8 | first search (784 queries) |");
  }

  @Test
  void oursFindsTheTrueNearestNeighbours() throws Exception {
    int n = 400;
    int d = 8;
    float[] bank = KnnBenchmark.gaussian(n, d, 1);
    float[] q = KnnBenchmark.gaussian(30, d, 2);
    double expected = 0;
    for (int i = 0; i < 30; i++) {
      double best = Double.POSITIVE_INFINITY;
      for (int j = 0; j < n; j++) {
        double s = 0;
        for (int k = 0; k < d; k++) {
          double t = q[i * d + k] - bank[j * d + k];
          s += t * t;
        }
        best = Math.min(best, s);
      }
      expected += best;
    }
    assertThat(KnnBenchmark.ours(bank, n, q, 30, d, 1, 1).checksum())
        .isCloseTo(expected, org.assertj.core.api.Assertions.within(1e-3 * expected));
    assertThat(KnnBenchmark.gemmGflops(64, 1, 1)).isPositive();
  }
}
