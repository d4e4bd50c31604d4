package io.tailwatch.detector.features;

import static io.tailwatch.detector.onnx.GraphBuilder.floatTensor;
import static io.tailwatch.detector.onnx.GraphBuilder.intAttr;
import static io.tailwatch.detector.onnx.GraphBuilder.intsAttr;
import static io.tailwatch.detector.onnx.GraphBuilder.stringAttr;

import ai.onnx.proto.OnnxMl;
import io.tailwatch.detector.onnx.GraphBuilder;
import java.util.ArrayList;
import java.util.List;

/**
 * The patch embedding as ONNX ops (opset 11+), appended to a backbone graph so it runs on the CNN's
 * execution provider with no host round trip:
 *
 * <ul>
 *   <li>3x3 aggregation = grouped Conv with one-hot kernels (group = C, C*9 outputs): output
 *       channel c*9+k is input channel c shifted by tap k, exactly the channel-major unfold
 *       PatchCore flattens;
 *   <li>upsampling = Resize linear, half_pixel (align_corners=false);
 *   <li>adaptive pooling = MatMul with a constant averaging matrix.
 * </ul>
 *
 * Output {@code [N, H*W, targetDim]}, positions row-major over the finest layer's grid.
 */
public final class PatchEmbeddingGraph {
  public static final String PATCHES_OUTPUT = "tw_patches";
  public static final String GLOBAL_OUTPUT = "tw_global";

  private PatchEmbeddingGraph() {}

  /** Appends the ops reading the spec's layer tensors; returns the output tensor name. */
  public static String append(GraphBuilder g, PatchEmbeddingSpec spec, String outputName) {
    int h0 = spec.gridHeight();
    int w0 = spec.gridWidth();
    int k2 = spec.patchSize() * spec.patchSize();
    List<String> pooled = new ArrayList<>();
    for (FeatureLayer layer : spec.layers()) {
      int c = layer.channels();
      float[] kernel = new float[c * k2 * k2];
      for (int ch = 0; ch < c; ch++) {
        for (int k = 0; k < k2; k++) {
          kernel[(ch * k2 + k) * k2 + k] = 1f;
        }
      }
      String weights = g.floatConstant(layer.name() + "_unfold", kernel, (long) c * k2, 1, 3, 3);
      String unfolded =
          g.node(
              "Conv",
              List.of(layer.name(), weights),
              intAttr("group", c),
              intsAttr("kernel_shape", 3, 3),
              intsAttr("pads", 1, 1, 1, 1),
              intsAttr("strides", 1, 1),
              intsAttr("dilations", 1, 1));
      if (layer.height() != h0 || layer.width() != w0) {
        String roi = g.floatConstant("roi", new float[0], 0);
        String scales =
            g.floatConstant(
                "scales",
                new float[] {1f, 1f, (float) h0 / layer.height(), (float) w0 / layer.width()},
                4);
        unfolded =
            g.node(
                "Resize",
                List.of(unfolded, roi, scales),
                stringAttr("mode", "linear"),
                stringAttr("coordinate_transformation_mode", "half_pixel"));
      }
      String nhwc = g.node("Transpose", List.of(unfolded), intsAttr("perm", 0, 2, 3, 1));
      String rows =
          g.node(
              "Reshape", List.of(nhwc, g.longConstant("shape", new long[] {-1, (long) c * k2}, 2)));
      String pool =
          g.floatConstant(
              layer.name() + "_pool",
              AdaptivePooling.matrix(c * k2, spec.pooledDim(layer)),
              (long) c * k2,
              spec.pooledDim(layer));
      pooled.add(g.node("MatMul", List.of(rows, pool)));
    }
    String stacked =
        pooled.size() == 1 ? pooled.get(0) : g.node("Concat", pooled, intAttr("axis", 1));
    int stackedDim = spec.stackedDim();
    String agg =
        g.floatConstant(
            "aggregate_pool",
            AdaptivePooling.matrix(stackedDim, spec.targetDim()),
            stackedDim,
            spec.targetDim());
    String embedded = g.node("MatMul", List.of(stacked, agg));
    g.node(
        "Reshape",
        List.of(
            embedded,
            g.longConstant("shape", new long[] {-1, (long) h0 * w0, spec.targetDim()}, 3)),
        List.of(outputName));
    return outputName;
  }

  /**
   * A standalone model: inputs are the layer tensors, output the patch embedding (used by tests and
   * tools).
   */
  public static OnnxMl.ModelProto standalone(PatchEmbeddingSpec spec) {
    OnnxMl.GraphProto.Builder graph =
        OnnxMl.GraphProto.newBuilder().setName("tailwatch_patch_embedding");
    for (FeatureLayer l : spec.layers()) {
      graph.addInput(floatTensor(l.name(), "batch", l.channels(), l.height(), l.width()));
    }
    GraphBuilder g = new GraphBuilder(graph, "tw_");
    append(g, spec, PATCHES_OUTPUT);
    graph.addOutput(floatTensor(PATCHES_OUTPUT, "batch", spec.positions(), spec.targetDim()));
    return GraphBuilder.model(graph.build(), 12);
  }
}
