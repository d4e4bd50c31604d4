package io.tailwatch.detector.features;

import static io.tailwatch.detector.onnx.GraphBuilder.floatTensor;

import ai.onnx.proto.OnnxMl;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import com.google.protobuf.InvalidProtocolBufferException;
import io.tailwatch.detector.onnx.GraphBuilder;
import io.tailwatch.detector.util.Hashing;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A CNN in ONNX with one image input {@code [N,3,S,S]} and named feature-map outputs {@code
 * [N,C,H,W]}. Loading validates the graph and says precisely what is wrong with a model that does
 * not fit.
 */
public final class BackboneModel {
  public static final List<String> DEFAULT_LAYERS = List.of("feat_s8", "feat_s16");

  /** Pooled into the global embedding (TailSampler's input). */
  public static final String DEFAULT_GLOBAL_LAYER = "feat_s32";

  private final Path path;
  private final String sha256;
  private final String graphSha256;
  private final OnnxMl.ModelProto proto;
  private final String inputName;
  private final int inputSize;
  private final Map<String, FeatureLayer> featureOutputs;

  private BackboneModel(
      Path path,
      String sha256,
      OnnxMl.ModelProto proto,
      String inputName,
      int inputSize,
      Map<String, FeatureLayer> featureOutputs) {
    this.path = path;
    this.sha256 = sha256;
    this.graphSha256 = graphSha256(proto);
    this.proto = proto;
    this.inputName = inputName;
    this.inputSize = inputSize;
    this.featureOutputs = featureOutputs;
  }

  public static BackboneModel load(Path path) throws IOException {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(path);
    } catch (NoSuchFileException e) {
      throw new IOException(
          "backbone model file not found: "
              + path.toAbsolutePath()
              + " (set TAILWATCH_MODEL_DIR or --model-dir to the folder with the ONNX models; see README 'Models')");
    }
    OnnxMl.ModelProto proto;
    try {
      proto = OnnxMl.ModelProto.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      throw new IOException(path + " is not an ONNX model: " + e.getMessage());
    }
    if (!proto.hasGraph() || proto.getGraph().getNodeCount() == 0) {
      throw new IOException(path + " is not an ONNX model: it has no graph");
    }
    OnnxMl.GraphProto graph = proto.getGraph();
    List<String> initializers =
        graph.getInitializerList().stream().map(OnnxMl.TensorProto::getName).toList();
    List<ValueInfoProto> inputs =
        graph.getInputList().stream().filter(v -> !initializers.contains(v.getName())).toList();
    if (inputs.size() != 1) {
      throw new IOException(
          path
              + ": a backbone needs exactly one image input, found "
              + inputs.stream().map(ValueInfoProto::getName).toList());
    }
    ValueInfoProto input = inputs.get(0);
    long[] shape = staticDims(input);
    if (shape.length != 4 || shape[1] != 3 || shape[2] <= 0 || shape[2] != shape[3]) {
      throw new IOException(
          path
              + ": input '"
              + input.getName()
              + "' must be float [N,3,S,S] with a static S, was "
              + describe(input));
    }
    Map<String, FeatureLayer> outputs = new LinkedHashMap<>();
    for (ValueInfoProto out : graph.getOutputList()) {
      long[] dims = staticDims(out);
      if (dims.length == 4 && dims[1] > 0 && dims[2] > 0 && dims[3] > 0) {
        outputs.put(
            out.getName(),
            new FeatureLayer(out.getName(), (int) dims[1], (int) dims[2], (int) dims[3]));
      }
    }
    return new BackboneModel(
        path, Hashing.sha256(bytes), proto, input.getName(), (int) shape[2], outputs);
  }

  public Path path() {
    return path;
  }

  public String sha256() {
    return sha256;
  }

  /**
   * What the model computes, not how its file was written: SHA-256 of the model with node names,
   * doc strings, graph name, producer and metadata cleared. Two files of the same graph and weights
   * (the shared copy and a {@code models pull} of the same zoo model name their tap nodes
   * differently) have the same graph hash; any changed weight, op, edge or output does not.
   */
  public String graphSha256() {
    return graphSha256;
  }

  static String graphSha256(OnnxMl.ModelProto model) {
    OnnxMl.ModelProto.Builder m =
        model.toBuilder()
            .clearProducerName()
            .clearProducerVersion()
            .clearDocString()
            .clearDomain()
            .clearModelVersion()
            .clearMetadataProps();
    OnnxMl.GraphProto.Builder g = m.getGraphBuilder().clearName().clearDocString();
    for (OnnxMl.NodeProto.Builder n : g.getNodeBuilderList()) {
      n.clearName().clearDocString();
    }
    return Hashing.sha256(m.build().toByteArray());
  }

  /** File name without .onnx. */
  public String name() {
    String f = path.getFileName().toString();
    return f.endsWith(".onnx") ? f.substring(0, f.length() - 5) : f;
  }

  /** Short identity for logs, alerts and bank headers: name@sha256-prefix. */
  public String id() {
    return name() + "@" + sha256.substring(0, 12);
  }

  public String inputName() {
    return inputName;
  }

  public int inputSize() {
    return inputSize;
  }

  public FeatureLayer layer(String name) {
    FeatureLayer l = featureOutputs.get(name);
    if (l == null) {
      throw new IllegalArgumentException(
          path.getFileName()
              + " has no 4-D feature output '"
              + name
              + "'; its feature outputs are "
              + featureOutputs.keySet()
              + " (use the -features model, see README 'Models')");
    }
    return l;
  }

  public boolean hasLayer(String name) {
    return featureOutputs.containsKey(name);
  }

  public List<FeatureLayer> layers(List<String> names) {
    List<FeatureLayer> out = new ArrayList<>();
    for (String n : names) {
      out.add(layer(n));
    }
    return out;
  }

  /**
   * The backbone with the patch embedding appended. Outputs: {@link
   * PatchEmbeddingGraph#PATCHES_OUTPUT} and, when {@code globalLayer} is given, {@link
   * PatchEmbeddingGraph#GLOBAL_OUTPUT} = its global average pool {@code [N, C]}. The classifier
   * head and unused taps stop being outputs.
   */
  public byte[] withPatchEmbedding(PatchEmbeddingSpec spec, String globalLayer) {
    OnnxMl.ModelProto.Builder model = proto.toBuilder();
    OnnxMl.GraphProto.Builder graph = model.getGraphBuilder();
    graph.clearOutput();
    GraphBuilder g = new GraphBuilder(graph, "tw_");
    PatchEmbeddingGraph.append(g, spec, PatchEmbeddingGraph.PATCHES_OUTPUT);
    graph.addOutput(
        floatTensor(
            PatchEmbeddingGraph.PATCHES_OUTPUT, "batch", spec.positions(), spec.targetDim()));
    if (globalLayer != null) {
      FeatureLayer gl = layer(globalLayer);
      String pooled = g.node("GlobalAveragePool", List.of(globalLayer));
      g.node(
          "Flatten",
          List.of(pooled),
          List.of(PatchEmbeddingGraph.GLOBAL_OUTPUT),
          GraphBuilder.intAttr("axis", 1));
      graph.addOutput(floatTensor(PatchEmbeddingGraph.GLOBAL_OUTPUT, "batch", gl.channels()));
    }
    return model.build().toByteArray();
  }

  private static long[] staticDims(ValueInfoProto v) {
    if (!v.getType().hasTensorType() || !v.getType().getTensorType().hasShape()) {
      return new long[0];
    }
    List<TensorShapeProto.Dimension> dims = v.getType().getTensorType().getShape().getDimList();
    long[] out = new long[dims.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = dims.get(i).hasDimValue() ? dims.get(i).getDimValue() : -1;
    }
    return out;
  }

  private static String describe(ValueInfoProto v) {
    long[] d = staticDims(v);
    StringBuilder sb = new StringBuilder("[");
    for (int i = 0; i < d.length; i++) {
      sb.append(i > 0 ? "," : "").append(d[i] < 0 ? "?" : String.valueOf(d[i]));
    }
    return sb.append(']').toString();
  }
}
