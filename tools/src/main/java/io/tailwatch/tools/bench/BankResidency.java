package io.tailwatch.tools.bench;

import io.tailwatch.detector.bank.BankHeader;
import io.tailwatch.detector.bank.MemoryBank;
import io.tailwatch.detector.knn.KnnPrecision;
import io.tailwatch.detector.knn.OnnxKnnScorer;
import io.tailwatch.detector.onnx.ExecutionProvider;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * What a bank costs in memory when it serves searches: the process's resident set (Linux {@code
 * VmRSS}) before and after mapping a bank file, touching every page, and building and using a
 * search index, beside the raw float size of its vectors. Each step is a delta, so the JVM and ONNX
 * Runtime themselves do not count.
 */
public final class BankResidency {
  private BankResidency() {}

  /** One step: what was done, the RSS growth it caused in bytes. */
  public record Step(String what, long rssBytes) {}

  public record Result(long rawBytes, List<Step> steps) {}

  public static Result measure(int count, int dim, KnnPrecision precision, Path dir)
      throws Exception {
    return measure(count, dim, precision, 0, dir);
  }

  /**
   * @param ivfProbes 0: a plain bank searched exactly; else the bank file carries an IVF index (the
   *     4 sqrt(N) rule) and is searched through this many lists
   */
  public static Result measure(int count, int dim, KnnPrecision precision, int ivfProbes, Path dir)
      throws Exception {
    float[] data = KnnBenchmark.gaussian(count, dim, 3);
    Path file = dir.resolve("residency.twb");
    BankHeader header =
        new BankHeader(
            BankHeader.FORMAT_VERSION,
            "residency",
            dim,
            0,
            null,
            new BankHeader.Backbone(
                "bench@0", "bench", "00", List.of("bench"), dim, dim, 3, 28, 28),
            new BankHeader.PreprocessingInfo(224, 0, new float[] {0, 0, 0}, new float[] {1, 1, 1}),
            Instant.now(),
            "bench",
            Map.of(),
            null);
    MemoryBank plain = MemoryBank.of(header, data, count);
    if (ivfProbes > 0) {
      try (OnnxKnnScorer fp32 = OnnxKnnScorer.open(ExecutionProvider.CPU, 1)) {
        plain =
            io.tailwatch.detector.knn.IvfIndex.build(
                plain,
                io.tailwatch.detector.knn.IvfIndex.defaultLists(count),
                io.tailwatch.detector.knn.IvfIndex.DEFAULT_ITERATIONS,
                3,
                fp32,
                io.tailwatch.detector.util.Progress.NONE);
      }
    }
    plain.write(file);
    plain = null;
    data = null;
    float[] queries = KnnBenchmark.gaussian(784, dim, 4);
    try (OnnxKnnScorer scorer =
        OnnxKnnScorer.open(ExecutionProvider.CPU, 1, precision).ivfProbes(ivfProbes)) {
      try (OnnxKnnScorer.Index warm = scorer.index(queries, 784, dim)) {
        scorer.search(warm, queries, 16); // ONNX Runtime's own start-up is not the bank
      }
      settle(); // the writer's buffers are freed by GC and their cleaners, asynchronously
      long r0 = rss();
      MemoryBank bank = MemoryBank.load(file);
      FloatBuffer v = bank.vectors();
      double sum = 0;
      for (int i = 0; i < v.limit(); i += 1024) {
        sum += v.get(i); // every page resident, as a serving bank is
      }
      bank.norms();
      long r1 = rss();
      try (OnnxKnnScorer.Index index = scorer.index(bank)) {
        long r2 = rss();
        scorer.search(index, queries, 784);
        long r3 = rss();
        if (Double.isNaN(sum)) {
          throw new IllegalStateException("bank holds NaN");
        }
        return new Result(
            (long) count * dim * 4,
            List.of(
                new Step("bank mapped, pages touched, norms", r1 - r0),
                new Step(
                    precision.label()
                        + (ivfProbes > 0 ? " ivf (" + bank.ivf().lists() + " lists)" : "")
                        + " index built",
                    r2 - r1),
                new Step("first search (784 queries)", r3 - r2)));
      }
    } finally {
      Files.deleteIfExists(file);
    }
  }

  private static void settle() throws InterruptedException {
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(500);
    }
  }

  /** Resident set size of this process, bytes (Linux). */
  static long rss() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("\\D+", "")) * 1024;
      }
    }
    throw new IOException("no VmRSS in /proc/self/status (resident size is read on Linux only)");
  }
}
