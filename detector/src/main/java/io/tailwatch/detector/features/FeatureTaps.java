package io.tailwatch.detector.features;

import static io.tailwatch.detector.onnx.GraphBuilder.floatTensor;

import ai.onnx.proto.OnnxMl;
import io.tailwatch.detector.onnx.GraphBuilder;
import java.util.List;

/**
 * Adds named float feature outputs to a classifier-only ONNX model, so a user can start from the
 * model zoo's file. In the zoo's int8 MobileNetV2 the tapped tensors are quantised (uint8 outputs
 * of QLinearConv / QLinearAdd), so each tap is a DequantizeLinear with the scale and zero point of
 * the node that produced it (inputs 6 and 7 of both QLinearConv and com.microsoft QLinearAdd); a
 * float tensor is exposed as it is. The quantiser renames a tensor {@code T} to {@code
 * T_quantized}; either name is found.
 */
public final class FeatureTaps {
  /** A tensor of the source graph exposed as output {@code output} with static shape C x H x W. */
  public record Tap(String output, String tensor, int channels, int height, int width) {}

  /**
   * torchvision MobileNetV2 features.3 / .6 / .13 / .17 in the zoo's mobilenetv2-12(-int8).onnx.
   */
  public static final List<Tap> MOBILENET_V2 =
      List.of(
          new Tap("feat_s4", "339", 24, 56, 56),
          new Tap("feat_s8", "365", 32, 28, 28),
          new Tap("feat_s16", "426", 96, 14, 14),
          new Tap("feat_s32", "624", 320, 7, 7));

  private FeatureTaps() {}

  public static OnnxMl.ModelProto addTaps(OnnxMl.ModelProto source, List<Tap> taps) {
    OnnxMl.ModelProto.Builder model = source.toBuilder();
    OnnxMl.GraphProto.Builder graph = model.getGraphBuilder();
    GraphBuilder g = new GraphBuilder(graph, "tap_");
    for (Tap tap : taps) {
      String tensor = tap.tensor();
      OnnxMl.NodeProto producer = producerOf(source.getGraph(), tensor);
      if (producer == null) {
        tensor = tap.tensor() + "_quantized";
        producer = producerOf(source.getGraph(), tensor);
      }
      if (producer == null) {
        throw new IllegalArgumentException(
            "the model has no tensor '"
                + tap.tensor()
                + "' (or '"
                + tensor
                + "') to tap: is this the ONNX Model Zoo's mobilenetv2-12 model?");
      }
      boolean quantised = producer.getOpType().startsWith("QLinear");
      if (quantised) {
        if (producer.getInputCount() < 8) {
          throw new IllegalArgumentException(
              "tensor '"
                  + tap.tensor()
                  + "' comes from "
                  + producer.getOpType()
                  + " with "
                  + producer.getInputCount()
                  + " inputs; expected the output scale and zero point at inputs 6 and 7");
        }
        g.node(
            "DequantizeLinear",
            List.of(tensor, producer.getInput(6), producer.getInput(7)),
            List.of(tap.output()));
      } else {
        g.node("Identity", List.of(tensor), List.of(tap.output()));
      }
      graph.addOutput(
          floatTensor(tap.output(), "batch_size", tap.channels(), tap.height(), tap.width()));
    }
    return model.build();
  }

  private static OnnxMl.NodeProto producerOf(OnnxMl.GraphProto graph, String tensor) {
    for (OnnxMl.NodeProto n : graph.getNodeList()) {
      if (n.getOutputList().contains(tensor)) {
        return n;
      }
    }
    return null;
  }
}
