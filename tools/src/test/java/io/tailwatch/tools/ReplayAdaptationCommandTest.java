package io.tailwatch.tools;

import static org.assertj.core.api.Assertions.assertThat;

import io.tailwatch.detector.testing.TinyBackbone;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
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
            "--frames",
            "240",
            "--seeds",
            "0,1",
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
            "100",
            "--rare-every",
            "10",
            "--out",
            out.toString());
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
  }
}
