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
 * {@code bench stream}'s plumbing on a tiny backbone: broker, job, backlog, one load and a short
 * soak.
 */
class StreamBenchITCase {
  @Test
  void reportsSaturationLatencyAndHeap(@TempDir Path dir) throws Exception {
    Path model = TinyBackbone.write(dir, "tiny.onnx");
    StringWriter err = new StringWriter();
    CommandLine cli = BenchCommandTest.cli(err);
    Path out = dir.resolve("stream.md");
    int rc =
        cli.execute(
            "bench",
            "stream",
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
            "2000",
            "--batch",
            "4",
            "--size",
            "64",
            "--saturation-frames",
            "120",
            "--warm-up-frames",
            "80",
            "--repeats",
            "2",
            "--loads",
            "0.3",
            "--load-seconds",
            "3",
            "--soak-seconds",
            "2",
            "--checkpoint-interval",
            "500ms",
            "--out",
            out.toString());
    assertThat(rc).as(err.toString()).isZero();
    String table = Files.readString(out);
    assertThat(table)
        .contains("| bare detector, batch 4")
        .contains("| job warm-up (first 80-frame backlog, not a measure)")
        .containsPattern(
            "\\| job at saturation, 1 line\\(s\\): median of 2 backlogs of 120 frames \\(job"
                + " [0-9.]+ between [0-9.]+ and [0-9.]+; [0-9.]+ between [0-9.]+ and [0-9.]+ bare"
                + " frames/s\\) \\| [0-9.]+ \\| [0-9.]+x \\|")
        .containsPattern("\\| job at saturation, 4 line\\(s\\): median .*\\| [0-9.]+x \\|")
        .containsPattern("\\| 1 line\\(s\\) / 4 lines at saturation \\| \\| [0-9.]+x \\|")
        .contains("online adaptation on")
        .containsPattern("Bare detector after the job: [0-9.]+ frames/s")
        .containsPattern("\\| 30% \\| [0-9.]+ \\| \\d+ \\| \\d+ ms \\| \\d+ ms \\|")
        .contains("Soak: 2 s at");
  }
}
