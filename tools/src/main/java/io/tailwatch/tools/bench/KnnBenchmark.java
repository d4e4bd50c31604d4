package io.tailwatch.tools.bench;

import ai.onnx.proto.OnnxMl;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.tailwatch.detector.knn.KnnPrecision;
import io.tailwatch.detector.knn.OnnxKnnScorer;
import io.tailwatch.detector.onnx.ExecutionProvider;
import io.tailwatch.detector.onnx.GraphBuilder;
import io.tailwatch.detector.onnx.OrtSessions;
import java.nio.FloatBuffer;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The measurements behind {@code tailwatch bench knn}: our exact 1-NN scorer's queries per second
 * on a bank of N x D vectors, and the machine's single-precision GEMM rate (a large MatMul on ONNX
 * Runtime, the same library our scorer runs on) as the ceiling to compare with. Best of {@code
 * repeat} timed runs after one warm-up.
 */
public final class KnnBenchmark {
  private KnnBenchmark() {}

  /** Seeded N(0, 1) data, {@code rows x dim}. */
  public static float[] gaussian(int rows, int dim, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    float[] out = new float[Math.multiplyExact(rows, dim)];
    for (int i = 0; i < out.length; i++) {
      out[i] = (float) r.nextGaussian();
    }
    return out;
  }

  /**
   * One timing: best seconds, the sum of the minimum squared distances (to compare answers with
   * peers) and the distances themselves (to compare precisions).
   */
  public record Timing(double seconds, double checksum, float[] distances) {}

  /**
   * How our scorer is set up: precision, bank chunk (0: the precision's default) and query block
   * sizes, int8 candidates.
   */
  public record Setup(
      KnnPrecision precision,
      int chunkRows,
      int queryBlock,
      int candidates,
      ExecutionProvider device) {
    public static final Setup DEFAULT =
        new Setup(
            KnnPrecision.FP32,
            0,
            OnnxKnnScorer.DEFAULT_QUERY_BLOCK,
            OnnxKnnScorer.DEFAULT_CANDIDATES,
            ExecutionProvider.CPU);

    public Setup withPrecision(KnnPrecision p) {
      return new Setup(p, chunkRows, queryBlock, candidates, device);
    }

    public Setup withDevice(ExecutionProvider d) {
      return new Setup(precision, chunkRows, queryBlock, candidates, d);
    }

    public int effectiveChunkRows() {
      return chunkRows > 0 ? chunkRows : OnnxKnnScorer.defaultChunkRows(precision);
    }
  }

  public static Timing ours(
      float[] bank, int n, float[] queries, int q, int dim, int threads, int repeat)
      throws OrtException {
    return ours(bank, n, queries, q, dim, threads, repeat, Setup.DEFAULT);
  }

  public static Timing ours(
      float[] bank, int n, float[] queries, int q, int dim, int threads, int repeat, Setup setup)
      throws OrtException {
    try (OnnxKnnScorer scorer =
            OnnxKnnScorer.open(
                setup.device(),
                threads,
                setup.effectiveChunkRows(),
                setup.queryBlock(),
                setup.precision(),
                setup.candidates());
        OnnxKnnScorer.Index index = scorer.index(memoryBank(bank, n, dim))) {
      Timing t = timed(scorer, index, queries, q, repeat);
      double sum = 0;
      for (float v : t.distances()) {
        sum += v;
      }
      return new Timing(t.seconds(), sum, t.distances());
    }
  }

  /**
   * The vectors as a bank, so the scorer treats them as it treats a served one (a resident copy on
   * CUDA, {@link OnnxKnnScorer#residentBank}).
   */
  static io.tailwatch.detector.bank.MemoryBank memoryBank(float[] vectors, int n, int dim) {
    io.tailwatch.detector.bank.BankHeader header =
        new io.tailwatch.detector.bank.BankHeader(
            io.tailwatch.detector.bank.BankHeader.FORMAT_VERSION,
            "bench",
            dim,
            n,
            null,
            null,
            null,
            null,
            "bench",
            Map.of(),
            null);
    return io.tailwatch.detector.bank.MemoryBank.of(header, vectors, n);
  }

  /** One warm-up search, then the best of {@code repeat} timed ones (checksum left 0). */
  static Timing timed(
      OnnxKnnScorer scorer, OnnxKnnScorer.Index index, float[] queries, int q, int repeat)
      throws OrtException {
    float[] d = scorer.search(index, queries, q).distances();
    double best = Double.POSITIVE_INFINITY;
    for (int i = 0; i < repeat; i++) {
      long t = System.nanoTime();
      d = scorer.search(index, queries, q).distances();
      best = Math.min(best, (System.nanoTime() - t) / 1e9);
    }
    return new Timing(best, 0, d);
  }

  /**
   * Share of queries whose distance equals the exact one (within 1e-4 relative): recall of the true
   * neighbour.
   */
  public static double recall(float[] exact, float[] approx) {
    int same = 0;
    for (int i = 0; i < exact.length; i++) {
      same += Math.abs(approx[i] - exact[i]) <= 1e-4 * (1 + Math.abs(exact[i])) ? 1 : 0;
    }
    return same / (double) exact.length;
  }

  /**
   * GFLOP/s of an {@code size^3} single-precision MatMul on ONNX Runtime with {@code threads}
   * intra-op threads.
   */
  public static double gemmGflops(int size, int threads, int repeat) throws OrtException {
    return gemmGflops(size, threads, repeat, ExecutionProvider.CPU);
  }

  /** As {@link #gemmGflops(int, int, int)} on {@code device}. */
  public static double gemmGflops(int size, int threads, int repeat, ExecutionProvider device)
      throws OrtException {
    OnnxMl.GraphProto.Builder graph = OnnxMl.GraphProto.newBuilder().setName("gemm_peak");
    graph.addInput(GraphBuilder.floatTensor("a", size, size));
    graph.addInput(GraphBuilder.floatTensor("b", size, size));
    new GraphBuilder(graph, "g_").node("MatMul", List.of("a", "b"), List.of("y"));
    graph.addOutput(GraphBuilder.floatTensor("y", size, size));
    byte[] model = GraphBuilder.model(graph.build(), 17).toByteArray();
    float[] a = gaussian(size, size, 1);
    float[] b = gaussian(size, size, 2);
    try (OrtSessions.Opened s = OrtSessions.open(model, device, threads, "gemm peak");
        OnnxTensor ta =
            OnnxTensor.createTensor(
                OrtSessions.environment(), FloatBuffer.wrap(a), new long[] {size, size});
        OnnxTensor tb =
            OnnxTensor.createTensor(
                OrtSessions.environment(), FloatBuffer.wrap(b), new long[] {size, size})) {
      Map<String, OnnxTensor> in = Map.of("a", ta, "b", tb);
      try (OrtSession.Result r = s.session().run(in)) {
        // warm-up
      }
      double best = Double.POSITIVE_INFINITY;
      for (int i = 0; i < repeat; i++) {
        long t = System.nanoTime();
        try (OrtSession.Result r = s.session().run(in)) {
          best = Math.min(best, (System.nanoTime() - t) / 1e9);
        }
      }
      return 2.0 * size * size * (double) size / best / 1e9;
    }
  }

  /**
   * Giga-operations/s (2 per multiply-add) of an {@code size^3} uint8 x int8 GEMM with float
   * output, the kernel under our int8 kNN path ({@code DynamicQuantizeMatMul}: float A quantised
   * per call, int8 B), as its ceiling.
   */
  public static double int8GemmGops(int size, int threads, int repeat) throws OrtException {
    OnnxMl.GraphProto.Builder graph = OnnxMl.GraphProto.newBuilder().setName("int8_gemm_peak");
    graph.addInput(GraphBuilder.floatTensor("a", size, size));
    graph.addInput(GraphBuilder.tensor("b", OnnxMl.TensorProto.DataType.INT8, size, size));
    graph.addInput(GraphBuilder.floatTensor("s"));
    new GraphBuilder(graph, "g_")
        .node(
            GraphBuilder.MICROSOFT_DOMAIN,
            "DynamicQuantizeMatMul",
            List.of("a", "b", "s"),
            List.of("y"));
    graph.addOutput(GraphBuilder.floatTensor("y", size, size));
    byte[] model = GraphBuilder.modelWithContribOps(graph.build(), 17).toByteArray();
    float[] a = gaussian(size, size, 1);
    java.nio.ByteBuffer b = java.nio.ByteBuffer.allocateDirect(size * size);
    SplittableRandom r = new SplittableRandom(2);
    for (int i = 0; i < size * size; i++) {
      b.put(i, (byte) (r.nextInt(127) - 63));
    }
    var env = OrtSessions.environment();
    try (OrtSessions.Opened s =
            OrtSessions.open(model, ExecutionProvider.CPU, threads, "int8 gemm peak");
        OnnxTensor ta = OnnxTensor.createTensor(env, FloatBuffer.wrap(a), new long[] {size, size});
        OnnxTensor tb =
            OnnxTensor.createTensor(
                env, b, new long[] {size, size}, ai.onnxruntime.OnnxJavaType.INT8);
        OnnxTensor ts = OnnxTensor.createTensor(env, 0.01f)) {
      Map<String, OnnxTensor> in = Map.of("a", ta, "b", tb, "s", ts);
      try (OrtSession.Result warm = s.session().run(in)) {
        // warm-up
      }
      double best = Double.POSITIVE_INFINITY;
      for (int i = 0; i < repeat; i++) {
        long t = System.nanoTime();
        try (OrtSession.Result res = s.session().run(in)) {
          best = Math.min(best, (System.nanoTime() - t) / 1e9);
        }
      }
      return 2.0 * size * size * (double) size / best / 1e9;
    }
  }

  /**
   * Floating-point work of an exact search: 2 N D per query (the distance GEMM; the minimum is
   * lower order).
   */
  public static double gflop(int n, int dim, int q) {
    return 2.0 * n * dim * (double) q / 1e9;
  }

  /**
   * Rows drawn around {@code centres} Gaussian centres (both the centres and the noise N(0, 1), so
   * neighbouring clusters overlap): structure of the kind patch features have, neither uniform
   * noise (where no index can prune) nor separated blobs (where one probe is always enough). The
   * centres depend only on {@code dim}, so banks and queries drawn with different seeds share them.
   */
  public static float[] clustered(int rows, int dim, int centres, long seed) {
    float[] c = gaussian(centres, dim, 1000 + dim);
    SplittableRandom r = new SplittableRandom(seed);
    float[] out = new float[Math.multiplyExact(rows, dim)];
    for (int i = 0; i < rows; i++) {
      int k = r.nextInt(centres);
      for (int x = 0; x < dim; x++) {
        out[i * dim + x] = c[k * dim + x] + (float) r.nextGaussian();
      }
    }
    return out;
  }

  /** One recall target met (or not: probes 0) by our IVF search: probes, recall, best seconds. */
  public record IvfPoint(double target, int probes, double recall, double seconds) {}

  /** The IVF sweep over one bank: its build time, lists, and one point per target. */
  public record IvfSweep(double buildSeconds, int lists, List<IvfPoint> points) {}

  /**
   * Our IVF index over {@code bank} ({@code lists} lists), searched with probes 1, 2, 4, ..., lists
   * until each recall target (against {@code exact}, as {@link #recall}) is met; the time of the
   * smallest probe count that meets it.
   */
  public static IvfSweep ivf(
      float[] bank,
      int n,
      float[] queries,
      int q,
      int dim,
      int threads,
      int repeat,
      int lists,
      float[] exact,
      List<Double> targets,
      ExecutionProvider device)
      throws OrtException {
    io.tailwatch.detector.bank.MemoryBank indexed;
    long t0 = System.nanoTime();
    try (OnnxKnnScorer fp32 = OnnxKnnScorer.open(device, threads)) {
      indexed =
          io.tailwatch.detector.knn.IvfIndex.build(
              memoryBank(bank, n, dim),
              lists,
              io.tailwatch.detector.knn.IvfIndex.DEFAULT_ITERATIONS,
              11,
              fp32,
              io.tailwatch.detector.util.Progress.NONE);
    }
    double build = (System.nanoTime() - t0) / 1e9;
    indexed.norms();
    List<Double> pending = new java.util.ArrayList<>(targets.stream().sorted().toList());
    List<IvfPoint> points = new java.util.ArrayList<>();
    double lastRecall = 0;
    double lastSeconds = 0;
    int probes = 1;
    while (!pending.isEmpty()) {
      try (OnnxKnnScorer scorer = OnnxKnnScorer.open(device, threads);
          OnnxKnnScorer.Index index = scorer.ivfProbes(probes).index(indexed)) {
        Timing t = timed(scorer, index, queries, q, repeat);
        lastRecall = recall(exact, t.distances());
        lastSeconds = t.seconds();
        while (!pending.isEmpty() && lastRecall >= pending.get(0)) {
          points.add(new IvfPoint(pending.remove(0), probes, lastRecall, t.seconds()));
        }
      }
      if (probes == lists) {
        break;
      }
      probes = Math.min(2 * probes, lists);
    }
    for (double t : pending) {
      points.add(new IvfPoint(t, 0, lastRecall, lastSeconds));
    }
    return new IvfSweep(build, lists, points);
  }
}
