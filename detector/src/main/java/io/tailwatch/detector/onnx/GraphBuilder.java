package io.tailwatch.detector.onnx;

import ai.onnx.proto.OnnxMl;
import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * A thin helper over the ONNX protobuf classes for appending nodes and constants to a graph. Names
 * are made unique with a prefix so appended ops never collide with the backbone's tensors.
 */
public final class GraphBuilder {
  private final OnnxMl.GraphProto.Builder graph;
  private final String prefix;
  private int counter;

  /**
   * ONNX Runtime's contrib operators (MatMulIntegerToFloat, ...); a model using them imports it at
   * version 1.
   */
  public static final String MICROSOFT_DOMAIN = "com.microsoft";

  public GraphBuilder(OnnxMl.GraphProto.Builder graph, String prefix) {
    this.graph = graph;
    this.prefix = prefix;
  }

  public OnnxMl.GraphProto.Builder graph() {
    return graph;
  }

  public String fresh(String hint) {
    return prefix + hint + "_" + (counter++);
  }

  /** Adds a node and returns its (single) output name. */
  public String node(String opType, List<String> inputs, AttributeProto... attributes) {
    String out = fresh(opType.toLowerCase());
    node(opType, inputs, List.of(out), attributes);
    return out;
  }

  public void node(
      String opType, List<String> inputs, List<String> outputs, AttributeProto... attributes) {
    node("", opType, inputs, outputs, attributes);
  }

  /**
   * A node of another operator domain, e.g. ONNX Runtime's {@link #MICROSOFT_DOMAIN} contrib ops.
   */
  public void node(
      String domain,
      String opType,
      List<String> inputs,
      List<String> outputs,
      AttributeProto... attributes) {
    NodeProto.Builder node = NodeProto.newBuilder().setOpType(opType).setName(fresh("n_" + opType));
    if (!domain.isEmpty()) {
      node.setDomain(domain);
    }
    node.addAllInput(inputs).addAllOutput(outputs);
    for (AttributeProto a : attributes) {
      node.addAttribute(a);
    }
    graph.addNode(node);
  }

  public String floatConstant(String hint, float[] values, long... dims) {
    ByteBuffer buffer = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (float v : values) {
      buffer.putFloat(v);
    }
    buffer.flip();
    return constant(hint, TensorProto.DataType.FLOAT, ByteString.copyFrom(buffer), dims);
  }

  /**
   * A float initializer named exactly {@code name}, from {@code count} little-endian floats of
   * {@code values} starting at its position (the graph then holds its own copy).
   */
  public void floatInitializer(String name, java.nio.FloatBuffer values, int count, long... dims) {
    ByteBuffer buffer = ByteBuffer.allocate(count * 4).order(ByteOrder.LITTLE_ENDIAN);
    buffer.asFloatBuffer().put(values.duplicate().limit(values.position() + count));
    TensorProto.Builder t =
        TensorProto.newBuilder()
            .setName(name)
            .setDataType(TensorProto.DataType.FLOAT.getNumber())
            .setRawData(ByteString.copyFrom(buffer));
    for (long d : dims) {
      t.addDims(d);
    }
    graph.addInitializer(t);
  }

  public String longConstant(String hint, long[] values, long... dims) {
    ByteBuffer buffer = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
    for (long v : values) {
      buffer.putLong(v);
    }
    buffer.flip();
    return constant(hint, TensorProto.DataType.INT64, ByteString.copyFrom(buffer), dims);
  }

  private String constant(String hint, TensorProto.DataType type, ByteString raw, long... dims) {
    String name = fresh(hint);
    TensorProto.Builder t =
        TensorProto.newBuilder().setName(name).setDataType(type.getNumber()).setRawData(raw);
    for (long d : dims) {
      t.addDims(d);
    }
    graph.addInitializer(t);
    return name;
  }

  public static AttributeProto intAttr(String name, long value) {
    return AttributeProto.newBuilder()
        .setName(name)
        .setType(AttributeProto.AttributeType.INT)
        .setI(value)
        .build();
  }

  public static AttributeProto floatAttr(String name, float value) {
    return AttributeProto.newBuilder()
        .setName(name)
        .setType(AttributeProto.AttributeType.FLOAT)
        .setF(value)
        .build();
  }

  public static AttributeProto intsAttr(String name, long... values) {
    AttributeProto.Builder a =
        AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
    for (long v : values) {
      a.addInts(v);
    }
    return a.build();
  }

  public static AttributeProto stringAttr(String name, String value) {
    return AttributeProto.newBuilder()
        .setName(name)
        .setType(AttributeProto.AttributeType.STRING)
        .setS(ByteString.copyFromUtf8(value))
        .build();
  }

  /** A float tensor value-info; a negative dim is symbolic (named {@code dimParams}). */
  public static ValueInfoProto floatTensor(String name, Object... dims) {
    return tensor(name, TensorProto.DataType.FLOAT, dims);
  }

  public static ValueInfoProto tensor(String name, TensorProto.DataType type, Object... dims) {
    TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
    for (Object d : dims) {
      TensorShapeProto.Dimension.Builder dim = TensorShapeProto.Dimension.newBuilder();
      if (d instanceof String s) {
        dim.setDimParam(s);
      } else {
        dim.setDimValue(((Number) d).longValue());
      }
      shape.addDim(dim);
    }
    TypeProto type1 =
        TypeProto.newBuilder()
            .setTensorType(
                TypeProto.Tensor.newBuilder().setElemType(type.getNumber()).setShape(shape))
            .build();
    return ValueInfoProto.newBuilder().setName(name).setType(type1).build();
  }

  /** A standalone model around a graph (IR 8, default domain at {@code opset}). */
  public static OnnxMl.ModelProto model(OnnxMl.GraphProto graph, int opset) {
    return modelBuilder(graph, opset).build();
  }

  /** As {@link #model(OnnxMl.GraphProto, int)}, also importing ONNX Runtime's contrib domain. */
  public static OnnxMl.ModelProto modelWithContribOps(OnnxMl.GraphProto graph, int opset) {
    return modelBuilder(graph, opset)
        .addOpsetImport(
            OnnxMl.OperatorSetIdProto.newBuilder().setDomain(MICROSOFT_DOMAIN).setVersion(1))
        .build();
  }

  private static OnnxMl.ModelProto.Builder modelBuilder(OnnxMl.GraphProto graph, int opset) {
    return OnnxMl.ModelProto.newBuilder()
        .setIrVersion(8)
        .setProducerName("tailwatch")
        .addOpsetImport(OnnxMl.OperatorSetIdProto.newBuilder().setDomain("").setVersion(opset))
        .setGraph(graph);
  }

  public static List<String> names(String... names) {
    return new ArrayList<>(List.of(names));
  }
}
