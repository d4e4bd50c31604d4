package io.tailwatch.detector.knn;

import static io.tailwatch.detector.onnx.GraphBuilder.floatAttr;
import static io.tailwatch.detector.onnx.GraphBuilder.floatTensor;
import static io.tailwatch.detector.onnx.GraphBuilder.intAttr;
import static io.tailwatch.detector.onnx.GraphBuilder.intsAttr;

import ai.onnx.proto.OnnxMl;
import io.tailwatch.detector.onnx.GraphBuilder;
import java.util.List;

/**
 * Nearest bank vector of each query in GEMM form, the bank being an input (never a graph constant,
 * so a new bank needs no new session):
 *
 * <pre>
 *   e(q, m) = ||m||^2 - 2 q.m                Gemm(Q, M, norms; alpha=-2, beta=1, transB=1)
 *   (value, index) = TopK(e, k=1, smallest)  one pass over the [Q, K] block
 *   min d(q, .) = value + ||q||^2            ||q||^2 is constant per row: added to [Q,1], not to [Q,K]
 * </pre>
 *
 * Inputs {@code queries [Q,D]}, {@code bank [K,D]}, {@code bank_norms [K]}; outputs {@code min_dist
 * [Q,1]}, {@code min_index [Q,1]} (int64). The caller chunks the bank and keeps the running
 * minimum.
 */
public final class KnnGraph {
  public static final String QUERIES = "queries";
  public static final String BANK = "bank";
  public static final String BANK_NORMS = "bank_norms";
  public static final String MIN_DIST = "min_dist";
  public static final String MIN_INDEX = "min_index";
  public static final String BANK_INT8 = "bank_int8";
  public static final String BANK_SCALE = "bank_scale";
  public static final String CANDIDATE_DIST = "candidate_dist";
  public static final String CANDIDATE_INDEX = "candidate_index";
  public static final String CANDIDATES = "candidates";

  private KnnGraph() {}

  public static OnnxMl.ModelProto build() {
    OnnxMl.GraphProto.Builder graph = OnnxMl.GraphProto.newBuilder().setName("tailwatch_knn");
    graph.addInput(floatTensor(QUERIES, "q", "d"));
    graph.addInput(floatTensor(BANK, "k", "d"));
    graph.addInput(floatTensor(BANK_NORMS, "k"));
    return exact(graph);
  }

  /**
   * The same graph with one bank chunk baked in as initializers ({@code rows} vectors of {@code
   * bank} from its position, and their norms): only {@code queries} is an input. A session of it
   * holds the chunk in the execution provider's memory, so on a GPU the bank is uploaded once per
   * bank version instead of with every call.
   */
  public static OnnxMl.ModelProto buildResident(
      java.nio.FloatBuffer bank, int rows, int dim, float[] norms, int normsFrom) {
    OnnxMl.GraphProto.Builder graph =
        OnnxMl.GraphProto.newBuilder().setName("tailwatch_knn_resident");
    graph.addInput(floatTensor(QUERIES, "q", dim));
    GraphBuilder g = new GraphBuilder(graph, "tw_");
    g.floatInitializer(BANK, bank, rows * dim, rows, dim);
    g.floatInitializer(
        BANK_NORMS, java.nio.FloatBuffer.wrap(norms, normsFrom, rows).slice(), rows, rows);
    return exact(graph);
  }

  private static OnnxMl.ModelProto exact(OnnxMl.GraphProto.Builder graph) {
    GraphBuilder g = new GraphBuilder(graph, "tw_");
    String qNorm =
        g.node("ReduceSumSquare", List.of(QUERIES), intsAttr("axes", 1), intAttr("keepdims", 1));
    String cross =
        g.node(
            "Gemm",
            List.of(QUERIES, BANK, BANK_NORMS),
            floatAttr("alpha", -2f),
            floatAttr("beta", 1f),
            intAttr("transB", 1));
    String k = g.longConstant("k", new long[] {1}, 1);
    String partial = g.fresh("partial_min");
    g.node(
        "TopK",
        List.of(cross, k),
        List.of(partial, MIN_INDEX),
        intAttr("axis", 1),
        intAttr("largest", 0),
        intAttr("sorted", 1));
    g.node("Add", List.of(partial, qNorm), List.of(MIN_DIST));
    graph.addOutput(floatTensor(MIN_DIST, "q", 1));
    graph.addOutput(GraphBuilder.tensor(MIN_INDEX, OnnxMl.TensorProto.DataType.INT64, "q", 1));
    return GraphBuilder.model(graph.build(), 17);
  }

  /**
   * The reduced-precision candidate step: queries are quantised to uint8 per call (ONNX Runtime's
   * {@code DynamicQuantizeMatMul}), the bank chunk is int8 (transposed, one scale for the bank),
   * and the distance epilogue is fused into the integer GEMM as its output multiplier and bias:
   *
   * <pre>
   *   e(q, m) ~ ||m||^2 - 2 q.m = bias + (a_scale * bank_scale) * sum((q_u8 - zp) * m_i8)
   *   with bank_scale = -2 * s_bank and bias = ||m||^2 (of the float vectors)
   *   (value, index) = TopK(e, k=candidates, smallest)
   * </pre>
   *
   * Inputs {@code queries [Q,D]} float, {@code bank_int8 [D,K]} int8, {@code bank_scale []}, {@code
   * bank_norms [K]}, {@code candidates [1]} (int64, at most K); outputs {@code candidate_dist
   * [Q,c]} (approximate, without ||q||^2) and {@code candidate_index [Q,c]}. The caller re-ranks
   * the candidates with exact float distances.
   */
  public static OnnxMl.ModelProto buildInt8() {
    OnnxMl.GraphProto.Builder graph = OnnxMl.GraphProto.newBuilder().setName("tailwatch_knn_int8");
    graph.addInput(floatTensor(QUERIES, "q", "d"));
    graph.addInput(GraphBuilder.tensor(BANK_INT8, OnnxMl.TensorProto.DataType.INT8, "d", "k"));
    graph.addInput(floatTensor(BANK_SCALE));
    graph.addInput(floatTensor(BANK_NORMS, "k"));
    graph.addInput(GraphBuilder.tensor(CANDIDATES, OnnxMl.TensorProto.DataType.INT64, 1));
    GraphBuilder g = new GraphBuilder(graph, "tw_");
    String e = g.fresh("approx_dist");
    g.node(
        GraphBuilder.MICROSOFT_DOMAIN,
        "DynamicQuantizeMatMul",
        List.of(QUERIES, BANK_INT8, BANK_SCALE, "", BANK_NORMS),
        List.of(e));
    candidates(graph, g, e);
    return GraphBuilder.modelWithContribOps(graph.build(), 17);
  }

  /**
   * The {@code candidates} nearest bank rows of each query in float: as {@link #build()} with a
   * TopK of k = {@code candidates} instead of 1, and without the per-row ||q||^2 (the order does
   * not need it). The IVF search's coarse step: queries against the list centroids.
   *
   * <p>Inputs {@code queries [Q,D]}, {@code bank [K,D]}, {@code bank_norms [K]}, {@code candidates
   * [1]} (int64, at most K); outputs {@code candidate_dist [Q,c]} and {@code candidate_index
   * [Q,c]}.
   */
  public static OnnxMl.ModelProto buildTopK() {
    OnnxMl.GraphProto.Builder graph = OnnxMl.GraphProto.newBuilder().setName("tailwatch_knn_topk");
    graph.addInput(floatTensor(QUERIES, "q", "d"));
    graph.addInput(floatTensor(BANK, "k", "d"));
    graph.addInput(floatTensor(BANK_NORMS, "k"));
    graph.addInput(GraphBuilder.tensor(CANDIDATES, OnnxMl.TensorProto.DataType.INT64, 1));
    GraphBuilder g = new GraphBuilder(graph, "tw_");
    String cross =
        g.node(
            "Gemm",
            List.of(QUERIES, BANK, BANK_NORMS),
            floatAttr("alpha", -2f),
            floatAttr("beta", 1f),
            intAttr("transB", 1));
    candidates(graph, g, cross);
    return GraphBuilder.model(graph.build(), 17);
  }

  /**
   * The {@code candidates} smallest {@code scores} of each row (unsorted) as the graph's outputs
   * {@code candidate_dist} and {@code candidate_index}.
   */
  private static void candidates(OnnxMl.GraphProto.Builder graph, GraphBuilder g, String scores) {
    g.node(
        "TopK",
        List.of(scores, CANDIDATES),
        List.of(CANDIDATE_DIST, CANDIDATE_INDEX),
        intAttr("axis", 1),
        intAttr("largest", 0),
        intAttr("sorted", 0));
    graph.addOutput(floatTensor(CANDIDATE_DIST, "q", "c"));
    graph.addOutput(
        GraphBuilder.tensor(CANDIDATE_INDEX, OnnxMl.TensorProto.DataType.INT64, "q", "c"));
  }
}
