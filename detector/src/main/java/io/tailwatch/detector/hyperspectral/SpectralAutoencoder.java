package io.tailwatch.detector.hyperspectral;

import static io.tailwatch.detector.onnx.GraphBuilder.floatTensor;
import static io.tailwatch.detector.onnx.GraphBuilder.intAttr;
import static io.tailwatch.detector.onnx.GraphBuilder.intsAttr;

import ai.onnx.proto.OnnxMl;
import io.tailwatch.detector.onnx.GraphBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A trained spectral autoencoder as plain parameters, exportable to ONNX: per-band standardisation,
 * dense layers (ReLU between them, the last one linear), and the per-pixel score, the mean squared
 * reconstruction error in the standardised space, computed inside the graph. The training
 * configuration travels in the model's metadata.
 *
 * <p>Graph: {@code spectra [N, B]} raw values in; {@code score [N]} and {@code reconstruction [N,
 * B]} out.
 */
public record SpectralAutoencoder(
    int bands,
    float[] mean,
    float[] scale,
    List<Dense> layers,
    Map<String, String> trainingConfig) {
  public static final String INPUT = "spectra";
  public static final String SCORE = "score";
  public static final String RECONSTRUCTION = "reconstruction";
  public static final String PRODUCER_KEY = "tailwatch.model";
  public static final String PRODUCER_VALUE = "spectral-autoencoder";

  /**
   * One dense layer, y = x W^T + b, W row-major {@code [out][in]} (the layout DJL's Linear keeps).
   */
  public record Dense(int in, int out, float[] weight, float[] bias) {
    public Dense {
      if (weight.length != in * out || bias.length != out) {
        throw new IllegalArgumentException(
            "dense layer "
                + in
                + "->"
                + out
                + " needs "
                + in * out
                + " weights and "
                + out
                + " biases, got "
                + weight.length
                + " and "
                + bias.length);
      }
    }
  }

  public SpectralAutoencoder {
    if (mean.length != bands || scale.length != bands) {
      throw new IllegalArgumentException(
          "standardisation must have " + bands + " values per vector");
    }
    if (layers.isEmpty()
        || layers.get(0).in() != bands
        || layers.get(layers.size() - 1).out() != bands) {
      throw new IllegalArgumentException("layers must map " + bands + " bands back to " + bands);
    }
    for (int i = 1; i < layers.size(); i++) {
      if (layers.get(i).in() != layers.get(i - 1).out()) {
        throw new IllegalArgumentException(
            "layer "
                + i
                + " takes "
                + layers.get(i).in()
                + " inputs but layer "
                + (i - 1)
                + " gives "
                + layers.get(i - 1).out());
      }
    }
    layers = List.copyOf(layers);
    trainingConfig = Map.copyOf(trainingConfig);
  }

  public OnnxMl.ModelProto toOnnx() {
    OnnxMl.GraphProto.Builder graph =
        OnnxMl.GraphProto.newBuilder().setName("tailwatch_spectral_autoencoder");
    graph.addInput(floatTensor(INPUT, "n", bands));
    GraphBuilder g = new GraphBuilder(graph, "ae_");
    String centred = g.node("Sub", List.of(INPUT, g.floatConstant("mean", mean, bands)));
    String z = g.node("Div", List.of(centred, g.floatConstant("scale", scale, bands)));
    String h = z;
    for (int i = 0; i < layers.size(); i++) {
      Dense d = layers.get(i);
      boolean last = i == layers.size() - 1;
      String w = g.floatConstant("w" + i, d.weight(), d.out(), d.in());
      String b = g.floatConstant("b" + i, d.bias(), d.out());
      if (last) {
        g.node("Gemm", List.of(h, w, b), List.of(RECONSTRUCTION), intAttr("transB", 1));
        h = RECONSTRUCTION;
      } else {
        h = g.node("Relu", List.of(g.node("Gemm", List.of(h, w, b), intAttr("transB", 1))));
      }
    }
    String diff = g.node("Sub", List.of(RECONSTRUCTION, z));
    String sq = g.node("Mul", List.of(diff, diff));
    g.node("ReduceMean", List.of(sq), List.of(SCORE), intsAttr("axes", 1), intAttr("keepdims", 0));
    graph.addOutput(floatTensor(SCORE, "n"));
    graph.addOutput(floatTensor(RECONSTRUCTION, "n", bands));
    OnnxMl.ModelProto.Builder model = GraphBuilder.model(graph.build(), 17).toBuilder();
    Map<String, String> meta = new TreeMap<>(trainingConfig);
    meta.put(PRODUCER_KEY, PRODUCER_VALUE);
    meta.put("tailwatch.bands", Integer.toString(bands));
    meta.forEach(
        (k, v) ->
            model.addMetadataProps(
                OnnxMl.StringStringEntryProto.newBuilder().setKey(k).setValue(v).build()));
    return model.build();
  }

  public void save(Path file) throws IOException {
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.write(tmp, toOnnx().toByteArray());
    Files.move(
        tmp,
        file,
        java.nio.file.StandardCopyOption.REPLACE_EXISTING,
        java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }
}
