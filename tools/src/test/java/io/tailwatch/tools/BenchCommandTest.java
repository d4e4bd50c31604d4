package io.tailwatch.tools;

import static org.assertj.core.api.Assertions.assertThat;

import io.tailwatch.tools.bench.KnnBenchmark;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The bench command's plumbing on tiny sizes (the figures themselves come from real runs, see bench/README.md). */
class BenchCommandTest {
  @Test
  void knnTableWithAMissingPeerInterpreter(@TempDir Path dir) throws Exception {
    StringWriter err = new StringWriter();
    CommandLine cli = TailwatchCli.commandLine();
    cli.setErr(new PrintWriter(err, true));
    Path out = dir.resolve("knn.md");
    int rc = cli.execute("bench", "knn", "--bank-sizes", "300,600", "--dims", "16", "--queries", "50", "--threads",
        "1", "--repeat", "1", "--gemm-size", "64", "--python", dir.resolve("no-python").toString(), "--out",
        out.toString());
    assertThat(rc).as(err.toString()).isZero();
    String table = Files.readString(out);
    assertThat(table).contains("GEMM peak, 1 thread(s)").contains("| 300 | 16 | 1 |").contains("| 600 | 16 | 1 |")
        .contains("faiss q/s").contains("n/a");
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
    assertThat(KnnBenchmark.ours(bank, n, q, 30, d, 1, 1).checksum()).isCloseTo(expected,
        org.assertj.core.api.Assertions.within(1e-3 * expected));
    assertThat(KnnBenchmark.gemmGflops(64, 1, 1)).isPositive();
  }
}
