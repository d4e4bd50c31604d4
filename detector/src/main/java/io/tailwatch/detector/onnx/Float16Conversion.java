package io.tailwatch.detector.onnx;

import ai.onnx.proto.OnnxMl;
import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import ai.onnxruntime.platform.Fp16Conversions;
import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Rewrites a float32 ONNX graph to compute in float16 while its inputs and outputs stay float32 (a
 * Cast after each float input, a Cast before each float output), so callers feed and read the same
 * tensors as before. Float initializers, {@code Constant} values and {@code Cast(to=float)} become
 * float16; inputs ONNX types as float whatever the data (Resize's roi and scales) keep float32
 * constants or get a Cast back. Value infos are dropped: ONNX Runtime infers the types again.
 *
 * <p>Quantised graphs (QDQ or QLinear ops) are refused: their scales are float32 by definition, and
 * what they compute is already reduced precision. Subgraphs (If, Loop, Scan) are refused rather
 * than half converted.
 */
public final class Float16Conversion {
  private static final int FLOAT = TensorProto.DataType.FLOAT.getNumber();
  private static final int FLOAT16 = TensorProto.DataType.FLOAT16.getNumber();

  /** Inputs (by position) that ONNX types as tensor(float) independent of the data type T. */
  private static final Map<String, Set<Integer>> FLOAT_ONLY_INPUTS =
      Map.of(
          "Resize", Set.of(1, 2),
          "Upsample", Set.of(1));

  private static final Set<String> QUANTISED_OPS =
      Set.of(
          "QuantizeLinear",
          "DequantizeLinear",
          "DynamicQuantizeLinear",
          "QLinearConv",
          "QLinearMatMul",
          "ConvInteger",
          "MatMulInteger",
          "QLinearAdd",
          "QLinearMul",
          "QLinearGlobalAveragePool",
          "QLinearConcat",
          "MatMulIntegerToFloat");

  private static final Set<String> SUBGRAPH_OPS = Set.of("If", "Loop", "Scan");

  private Float16Conversion() {}

  /**
   * @param what a name for error messages (the model's file)
   * @throws IllegalArgumentException for a quantised graph, a graph with subgraphs, or one with no
   *     float tensor
   */
  public static OnnxMl.ModelProto convert(OnnxMl.ModelProto model, String what) {
    GraphProto graph = model.getGraph();
    Set<String> quantised = new LinkedHashSet<>();
    for (NodeProto n : graph.getNodeList()) {
      if (QUANTISED_OPS.contains(n.getOpType())) {
        quantised.add(n.getOpType());
      }
      if (SUBGRAPH_OPS.contains(n.getOpType())) {
        throw new IllegalArgumentException(
            what
                + ": precision fp16 does not convert graphs with control flow ("
                + n.getOpType()
                + " node '"
                + n.getName()
                + "')");
      }
    }
    if (!quantised.isEmpty()) {
      throw new IllegalArgumentException(
          what
              + " is quantised ("
              + String.join(", ", quantised)
              + "): precision fp16 needs a float32 model, e.g. --backbone fp32 (mobilenetv2-12-dequant-fp32-features.onnx)");
    }

    // a constant used only where ONNX wants float32 whatever the data type stays float32; any other
    // tensor
    // arriving there (computed, or a constant also used elsewhere) is fp16 and gets a Cast back
    Set<String> initializerNames = new HashSet<>();
    graph.getInitializerList().forEach(t -> initializerNames.add(t.getName()));
    Set<String> constants = new HashSet<>(initializerNames);
    graph.getNodeList().stream()
        .filter(n -> n.getOpType().equals("Constant"))
        .forEach(n -> constants.add(n.getOutput(0)));
    Set<String> keepFloat = new HashSet<>();
    Set<String> usedAsData = new HashSet<>();
    for (NodeProto n : graph.getNodeList()) {
      Set<Integer> positions = FLOAT_ONLY_INPUTS.getOrDefault(n.getOpType(), Set.of());
      for (int i = 0; i < n.getInputCount(); i++) {
        (positions.contains(i) ? keepFloat : usedAsData).add(n.getInput(i));
      }
    }
    keepFloat.removeAll(usedAsData);
    keepFloat.retainAll(constants);

    GraphProto.Builder out = graph.toBuilder();
    out.clearValueInfo();
    int converted = 0;
    Set<String> float16Constants = new HashSet<>();
    for (int i = 0; i < out.getInitializerCount(); i++) {
      TensorProto t = out.getInitializer(i);
      if (t.getDataType() == FLOAT && !keepFloat.contains(t.getName())) {
        out.setInitializer(i, toFloat16(t));
        float16Constants.add(t.getName());
        converted++;
      }
    }
    // old-IR models list initializers among the inputs too: their declared type follows the
    // initializer
    for (int i = 0; i < out.getInputCount(); i++) {
      ValueInfoProto v = out.getInput(i);
      if (float16Constants.contains(v.getName())) {
        out.setInput(i, withElemType(v, FLOAT16));
      }
    }

    String suffix = "_tw_fp16";
    Map<String, String> renamedInputs = new HashMap<>();
    for (ValueInfoProto v : graph.getInputList()) {
      if (!initializerNames.contains(v.getName()) && elemType(v) == FLOAT) {
        renamedInputs.put(v.getName(), v.getName() + suffix);
      }
    }
    Map<String, String> renamedOutputs = new HashMap<>();
    for (ValueInfoProto v : graph.getOutputList()) {
      if (elemType(v) == FLOAT) {
        renamedOutputs.put(v.getName(), v.getName() + suffix);
      }
    }
    if (converted == 0 && renamedInputs.isEmpty()) {
      throw new IllegalArgumentException(what + " has no float32 tensors to convert to fp16");
    }

    out.clearNode();
    for (Map.Entry<String, String> e : renamedInputs.entrySet()) {
      out.addNode(cast(e.getKey(), e.getValue(), FLOAT16));
    }
    int castBack = 0;
    for (NodeProto n : graph.getNodeList()) {
      NodeProto.Builder b = n.toBuilder();
      Set<Integer> positions = FLOAT_ONLY_INPUTS.getOrDefault(n.getOpType(), Set.of());
      for (int i = 0; i < b.getInputCount(); i++) {
        String in = b.getInput(i);
        if (in.isEmpty()) {
          continue;
        }
        // a graph output also read inside the graph is read in fp16, before its Cast back
        String renamed = renamedInputs.getOrDefault(in, renamedOutputs.getOrDefault(in, in));
        if (positions.contains(i) && !keepFloat.contains(in)) {
          // computed (or shared) in fp16 but wanted in float32 here
          String back = "tw_fp32_" + (castBack++) + "_" + in;
          out.addNode(cast(renamed, back, FLOAT));
          renamed = back;
        }
        b.setInput(i, renamed);
      }
      for (int i = 0; i < b.getOutputCount(); i++) {
        String o = b.getOutput(i);
        if (renamedOutputs.containsKey(o)) {
          b.setOutput(i, renamedOutputs.get(o));
        }
      }
      if (n.getOpType().equals("Constant")) {
        convertConstant(b, keepFloat.contains(n.getOutput(0)));
      } else if (n.getOpType().equals("Cast")) {
        for (int a = 0; a < b.getAttributeCount(); a++) {
          AttributeProto attr = b.getAttribute(a);
          if (attr.getName().equals("to") && attr.getI() == FLOAT) {
            b.setAttribute(a, attr.toBuilder().setI(FLOAT16));
          }
        }
      } else if (n.getOpType().equals("ConstantOfShape")) {
        convertConstant(b, false);
      }
      out.addNode(b);
    }
    for (Map.Entry<String, String> e : renamedOutputs.entrySet()) {
      out.addNode(cast(e.getValue(), e.getKey(), FLOAT));
    }
    return model.toBuilder().setGraph(out).build();
  }

  /** Convenience for serialized models. */
  public static byte[] convert(byte[] model, String what) {
    try {
      return convert(OnnxMl.ModelProto.parseFrom(model), what).toByteArray();
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw new IllegalArgumentException(what + " is not an ONNX model: " + e.getMessage(), e);
    }
  }

  private static void convertConstant(NodeProto.Builder b, boolean keep) {
    if (keep) {
      return;
    }
    for (int a = 0; a < b.getAttributeCount(); a++) {
      AttributeProto attr = b.getAttribute(a);
      if (attr.getName().equals("value") && attr.hasT() && attr.getT().getDataType() == FLOAT) {
        b.setAttribute(a, attr.toBuilder().setT(toFloat16(attr.getT())));
      } else if (attr.getName().equals("value_float") || attr.getName().equals("value_floats")) {
        // Constant(value_float) has no fp16 form: turn it into a value tensor
        TensorProto.Builder t = TensorProto.newBuilder().setDataType(FLOAT);
        if (attr.getName().equals("value_float")) {
          t.addFloatData(attr.getF());
        } else {
          t.addDims(attr.getFloatsCount()).addAllFloatData(attr.getFloatsList());
        }
        b.setAttribute(
            a,
            AttributeProto.newBuilder()
                .setName("value")
                .setType(AttributeProto.AttributeType.TENSOR)
                .setT(toFloat16(t.build())));
      }
    }
  }

  static TensorProto toFloat16(TensorProto t) {
    float[] values = floats(t);
    ByteBuffer raw = ByteBuffer.allocate(values.length * 2).order(ByteOrder.LITTLE_ENDIAN);
    for (float v : values) {
      raw.putShort(Fp16Conversions.floatToFp16(v));
    }
    raw.flip();
    return t.toBuilder()
        .clearFloatData()
        .clearRawData()
        .setDataType(FLOAT16)
        .setRawData(ByteString.copyFrom(raw))
        .build();
  }

  static float[] floats(TensorProto t) {
    if (t.getDataLocation() == TensorProto.DataLocation.EXTERNAL) {
      throw new IllegalArgumentException(
          "tensor '"
              + t.getName()
              + "' keeps its data in an external file; "
              + "fp16 conversion needs the model with its weights inside");
    }
    if (!t.getRawData().isEmpty()) {
      ByteBuffer b = t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
      float[] out = new float[b.remaining() / 4];
      b.asFloatBuffer().get(out);
      return out;
    }
    List<Float> data = t.getFloatDataList();
    float[] out = new float[data.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = data.get(i);
    }
    return out;
  }

  private static NodeProto cast(String from, String to, int type) {
    return NodeProto.newBuilder()
        .setOpType("Cast")
        .setName("tw_cast_" + to)
        .addInput(from)
        .addOutput(to)
        .addAttribute(GraphBuilder.intAttr("to", type))
        .build();
  }

  private static int elemType(ValueInfoProto v) {
    return v.getType().hasTensorType() ? v.getType().getTensorType().getElemType() : -1;
  }

  private static ValueInfoProto withElemType(ValueInfoProto v, int type) {
    ValueInfoProto.Builder b = v.toBuilder();
    b.getTypeBuilder().getTensorTypeBuilder().setElemType(type);
    return b.build();
  }
}
