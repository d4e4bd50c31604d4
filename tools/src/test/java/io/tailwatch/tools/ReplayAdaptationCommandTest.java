package io.tailwatch.tools;

import static org.assertj.core.api.Assertions.assertThat;

import io.tailwatch.detector.testing.TinyBackbone;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * replay-adaptation's plumbing on the generated CNN (the figures come from real runs, see the
 * README).
 */
class ReplayAdaptationCommandTest {
  @Test
  void tablePerSeedAndWeightingWithTotals(@TempDir Path dir) throws Exception {
    Path model = TinyBackbone.write(dir, "tiny.onnx");
    StringWriter err = new StringWriter();
    CommandLine cli = BenchCommandTest.cli(err);
    Path out = dir.resolve("replay.md");
    int rc =
        cli.execute(
            tiny(
                model,
                "--frames",
                "240",
                "--seeds",
                "0,1",
                "--rare-every",
                "10",
                "--out",
                out.toString()));
    assertThat(rc).as(err.toString()).isZero();
    String table = Files.readString(out);
    assertThat(table)
        .startsWith(ReplayAdaptationCommand.HEADER)
        .containsPattern("\\| 0 \\| gaussian \\| \\d+/6 ")
        .containsPattern("\\| 0 \\| uniform \\| \\d+/6 ")
        .containsPattern("\\| 1 \\| gaussian \\| ")
        .containsPattern("\\| all \\| gaussian \\| \\d+/12 ")
        .containsPattern("\\| all \\| uniform \\| \\d+/12 ");
    // uniform rows have no weights to report, gaussian rows do
    assertThat(table)
        .containsPattern("\\| 0 \\| uniform \\|.*\\| - \\| - \\|")
        .containsPattern("\\| 0 \\| gaussian \\|.*\\| [0-9.]+ \\| [0-9.]+ \\|");
  }

  /** The tiny-CNN options of these tests (a small bank, fast updates), then {@code more}. */
  private static String[] tiny(Path model, String... more) {
    List<String> args =
        new java.util.ArrayList<>(
            List.of(
                "replay-adaptation",
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
                "--threads",
                "1",
                "--train",
                "20",
                "--update-every",
                "80",
                "--sample-frames",
                "8",
                "--patches-per-frame",
                "32",
                "--min-frames",
                "60",
                "--half-life",
                "100"));
    args.addAll(List.of(more));
    return args.toArray(String[]::new);
  }

  /** Runs a scenario on the tiny CNN; its standard output, after checking it succeeded. */
  private static String scenario(Path dir, String... args) throws Exception {
    Path model = TinyBackbone.write(dir, "tiny.onnx");
    StringWriter err = new StringWriter();
    StringWriter out = new StringWriter();
    CommandLine cli = BenchCommandTest.cli(err);
    cli.setOut(new java.io.PrintWriter(out, true));
    assertThat(cli.execute(tiny(model, args))).as(err.toString()).isZero();
    return out.toString();
  }

  @Test
  void sustainedDefectScenarioReportsRecallFalseAlarmsAndDrift(@TempDir Path dir) throws Exception {
    String text =
        scenario(
            dir,
            "--seeds",
            "0",
            "--weighting",
            "gaussian",
            "--drift-window",
            "40",
            "--scenario",
            "sustained-defect",
            "--normal-before",
            "160",
            "--defect-run",
            "160",
            "--normal-after",
            "120");
    assertThat(text)
        .containsPattern(
            "seed 0: defect-run recall: 1\\.0000 \\(15\\d/15\\d defective frames of frames 160\\.\\.319\\)")
        .containsPattern("false-alarm rate before the run \\(frames 80\\.\\.159\\): \\d+/80")
        .contains("once its drift window passed (frames 360..439)")
        .containsPattern(
            "drift records: 1 \\(onsets at frames \\[1[6-9]\\d\\]\\); in drift at the run's end: true");
  }

  @Test
  void outlierScenarioReportsTheThresholdShift(@TempDir Path dir) throws Exception {
    String text =
        scenario(
            dir,
            "--seeds",
            "0",
            "--weighting",
            "gaussian",
            "--scenario",
            "outlier",
            "--frames",
            "400");
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile(
                "threshold shift after one extreme score \\(.*?\\) at frame (\\d+) of 400: ([0-9.]+)%")
            .matcher(text);
    List<Double> shifts = new java.util.ArrayList<>();
    while (m.find()) {
      shifts.add(Double.parseDouble(m.group(2)));
    }
    assertThat(shifts).as(text).hasSize(2).allSatisfy(s -> assertThat(s).isLessThan(2.0));
  }

  @Test
  void badOptionsNameTheOption() {
    StringWriter err = new StringWriter();
    CommandLine cli = BenchCommandTest.cli(err);
    assertThat(cli.execute("replay-adaptation", "--weighting", "inverse")).isEqualTo(2);
    assertThat(err.toString()).contains("--weighting");
    assertThat(cli.execute("replay-adaptation", "--threshold", "sometimes")).isEqualTo(2);
    assertThat(err.toString()).contains("--threshold");
    assertThat(cli.execute("replay-adaptation", "--rare-finish", "brushed")).isEqualTo(2);
    assertThat(err.toString()).contains("--rare-finish");
    assertThat(cli.execute("replay-adaptation", "--train", "5")).isEqualTo(2);
    assertThat(err.toString()).contains("--train must be at least 10");
    assertThat(cli.execute("replay-adaptation", "--defect-strength", "1.5")).isEqualTo(2);
    assertThat(err.toString()).contains("--defect-strength must be in (0, 1], was 1.5");
    assertThat(cli.execute("replay-adaptation", "--target", "gaussian")).isEqualTo(2);
    assertThat(err.toString()).contains("--target: robust, moment, flat or quantile, was gaussian");
    assertThat(cli.execute("replay-adaptation", "--scenario", "storm")).isEqualTo(2);
    assertThat(err.toString())
        .contains("--scenario: rare-variant, sustained-defect or outlier, was storm");
  }
}
