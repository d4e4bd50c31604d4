package io.tailwatch.detector.knn;

import static io.tailwatch.detector.onnx.GraphBuilder.floatAttr;
import static io.tailwatch.detector.onnx.GraphBuilder.floatTensor;
import static io.tailwatch.detector.onnx.GraphBuilder.intAttr;
import static io.tailwatch.detector.onnx.GraphBuilder.intsAttr;

import ai.onnx.proto.OnnxMl;
import io.tailwatch.detector.onnx.GraphBuilder;
import java.util.List;

/**
 * Nearest bank vector of each query in GEMM form, the bank being an input (never a graph constant, so a new
 * bank needs no new session):
 * <pre>
 *   d(q, m) = ||q||^2 - 2 q.m + ||m||^2      Gemm(Q, M, norms; alpha=-2, beta=1, transB=1) + ReduceSumSquare(Q)
 *   (value, index) = TopK(d, k=1, smallest)  one pass over the [Q, K] block
 * </pre>
 * Inputs {@code queries [Q,D]}, {@code bank [K,D]}, {@code bank_norms [K]}; outputs {@code min_dist [Q,1]},
 * {@code min_index [Q,1]} (int64). The caller chunks the bank and keeps the running minimum.
 */
public final class KnnGraph {
  public static final String QUERIES = "queries";
  public static final String BANK = "bank";
  public static final String BANK_NORMS = "bank_norms";
  public static final String MIN_DIST = "min_dist";
  public static final String MIN_INDEX = "min_index";

  private KnnGraph() {}

  public static OnnxMl.ModelProto build() {
    OnnxMl.GraphProto.Builder graph = OnnxMl.GraphProto.newBuilder().setName("tailwatch_knn");
    graph.addInput(floatTensor(QUERIES, "q", "d"));
    graph.addInput(floatTensor(BANK, "k", "d"));
    graph.addInput(floatTensor(BANK_NORMS, "k"));
    GraphBuilder g = new GraphBuilder(graph, "tw_");
    String qNorm = g.node("ReduceSumSquare", List.of(QUERIES), intsAttr("axes", 1), intAttr("keepdims", 1));
    String cross = g.node("Gemm", List.of(QUERIES, BANK, BANK_NORMS),
        floatAttr("alpha", -2f), floatAttr("beta", 1f), intAttr("transB", 1));
    String dist = g.node("Add", List.of(cross, qNorm));
    String k = g.longConstant("k", new long[] {1}, 1);
    g.node("TopK", List.of(dist, k), List.of(MIN_DIST, MIN_INDEX),
        intAttr("axis", 1), intAttr("largest", 0), intAttr("sorted", 1));
    graph.addOutput(floatTensor(MIN_DIST, "q", 1));
    graph.addOutput(GraphBuilder.tensor(MIN_INDEX, OnnxMl.TensorProto.DataType.INT64, "q", 1));
    return GraphBuilder.model(graph.build(), 17);
  }
}
