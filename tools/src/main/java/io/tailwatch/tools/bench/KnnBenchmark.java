package io.tailwatch.tools.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnx.proto.OnnxMl;
import io.tailwatch.detector.knn.OnnxKnnScorer;
import io.tailwatch.detector.onnx.ExecutionProvider;
import io.tailwatch.detector.onnx.GraphBuilder;
import io.tailwatch.detector.onnx.OrtSessions;
import java.nio.FloatBuffer;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The measurements behind {@code tailwatch bench knn}: our exact 1-NN scorer's queries per second on a bank of
 * N x D vectors, and the machine's single-precision GEMM rate (a large MatMul on ONNX Runtime, the same library
 * our scorer runs on) as the ceiling to compare with. Best of {@code repeat} timed runs after one warm-up.
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

  /** One timing: best seconds and the sum of the minimum squared distances (to compare answers with peers). */
  public record Timing(double seconds, double checksum) {}

  public static Timing ours(float[] bank, int n, float[] queries, int q, int dim, int threads, int repeat)
      throws OrtException {
    try (OnnxKnnScorer scorer = OnnxKnnScorer.open(ExecutionProvider.CPU, threads);
        OnnxKnnScorer.Index index = scorer.index(bank, n, dim)) {
      float[] d = scorer.search(index, queries, q).distances(); // warm-up
      double best = Double.POSITIVE_INFINITY;
      for (int i = 0; i < repeat; i++) {
        long t = System.nanoTime();
        d = scorer.search(index, queries, q).distances();
        best = Math.min(best, (System.nanoTime() - t) / 1e9);
      }
      double sum = 0;
      for (float v : d) {
        sum += v;
      }
      return new Timing(best, sum);
    }
  }

  /** GFLOP/s of an {@code size^3} single-precision MatMul on ONNX Runtime with {@code threads} intra-op threads. */
  public static double gemmGflops(int size, int threads, int repeat) throws OrtException {
    OnnxMl.GraphProto.Builder graph = OnnxMl.GraphProto.newBuilder().setName("gemm_peak");
    graph.addInput(GraphBuilder.floatTensor("a", size, size));
    graph.addInput(GraphBuilder.floatTensor("b", size, size));
    new GraphBuilder(graph, "g_").node("MatMul", List.of("a", "b"), List.of("y"));
    graph.addOutput(GraphBuilder.floatTensor("y", size, size));
    byte[] model = GraphBuilder.model(graph.build(), 17).toByteArray();
    float[] a = gaussian(size, size, 1);
    float[] b = gaussian(size, size, 2);
    try (OrtSessions.Opened s = OrtSessions.open(model, ExecutionProvider.CPU, threads, "gemm peak");
        OnnxTensor ta = OnnxTensor.createTensor(OrtSessions.environment(), FloatBuffer.wrap(a),
            new long[] {size, size});
        OnnxTensor tb = OnnxTensor.createTensor(OrtSessions.environment(), FloatBuffer.wrap(b),
            new long[] {size, size})) {
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

  /** Floating-point work of an exact search: 2 N D per query (the distance GEMM; the minimum is lower order). */
  public static double gflop(int n, int dim, int q) {
    return 2.0 * n * dim * (double) q / 1e9;
  }
}
