package io.tailwatch.tools.bench.jmh;

import io.tailwatch.detector.knn.KnnPrecision;
import io.tailwatch.detector.knn.KnnResult;
import io.tailwatch.detector.knn.OnnxKnnScorer;
import io.tailwatch.detector.onnx.ExecutionProvider;
import io.tailwatch.tools.bench.KnnBenchmark;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * One image's kNN search (784 patch queries) against an N x D bank, per precision: the time per
 * image and, with JMH's GC profiler, the Java heap allocated per search (the result arrays and ONNX
 * Runtime's output wrappers; the bank and query buffers are reused, ONNX Runtime's own arena is
 * native).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class KnnSearchJmh {
  @Param({"20000", "50000"})
  public int bankSize;

  @Param({"128"})
  public int dim;

  @Param({"fp32", "int8"})
  public String precision;

  @Param({"1"})
  public int threads;

  private OnnxKnnScorer scorer;
  private OnnxKnnScorer.Index index;
  private float[] queries;

  @Setup(Level.Trial)
  public void open() throws Exception {
    float[] bank = KnnBenchmark.gaussian(bankSize, dim, 11);
    queries = KnnBenchmark.gaussian(784, dim, 7);
    scorer = OnnxKnnScorer.open(ExecutionProvider.CPU, threads, KnnPrecision.parse(precision));
    index = scorer.index(bank, bankSize, dim);
  }

  @Benchmark
  public KnnResult searchOneImage() throws Exception {
    return scorer.search(index, queries, 784);
  }

  @TearDown(Level.Trial)
  public void close() throws Exception {
    index.close();
    scorer.close();
  }
}
