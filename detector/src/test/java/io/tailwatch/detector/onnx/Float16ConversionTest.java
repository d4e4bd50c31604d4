package io.tailwatch.detector.onnx;

import static io.tailwatch.detector.onnx.GraphBuilder.floatTensor;
import static io.tailwatch.detector.onnx.GraphBuilder.intAttr;
import static io.tailwatch.detector.onnx.GraphBuilder.intsAttr;
import static io.tailwatch.detector.onnx.GraphBuilder.stringAttr;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnx.proto.OnnxMl;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class Float16ConversionTest {
  private static final int FLOAT16 = TensorProto.DataType.FLOAT16.getNumber();
  private static final int FLOAT = TensorProto.DataType.FLOAT.getNumber();

  /**
   * Conv -> Resize (constant scales) -> Cast(to float) -> Add(Constant) = y -> Relu = z; y is also
   * read inside.
   */
  private static OnnxMl.ModelProto sample() {
    Random r = new Random(3);
    OnnxMl.GraphProto.Builder graph = OnnxMl.GraphProto.newBuilder().setName("sample");
    graph.addInput(floatTensor("x", "batch", 2, 6, 6));
    GraphBuilder g = new GraphBuilder(graph, "s_");
    float[] w = new float[3 * 2 * 9];
    for (int i = 0; i < w.length; i++) {
      w[i] = (float) r.nextGaussian();
    }
    String conv =
        g.node(
            "Conv",
            List.of("x", g.floatConstant("w", w, 3, 2, 3, 3)),
            intsAttr("pads", 1, 1, 1, 1));
    String roi = g.floatConstant("roi", new float[0], 0);
    String scales = g.floatConstant("scales", new float[] {1, 1, 2, 2}, 4);
    String up = g.node("Resize", List.of(conv, roi, scales), stringAttr("mode", "linear"));
    String cast = g.node("Cast", List.of(up), intAttr("to", FLOAT));
    OnnxMl.AttributeProto value =
        OnnxMl.AttributeProto.newBuilder()
            .setName("value")
            .setType(OnnxMl.AttributeProto.AttributeType.TENSOR)
            .setT(TensorProto.newBuilder().setDataType(FLOAT).addDims(1).addFloatData(0.25f))
            .build();
    String bias = g.node("Constant", List.of(), value);
    g.node("Add", List.of(cast, bias), List.of("y"));
    g.node("Relu", List.of("y"), List.of("z"));
    graph.addOutput(floatTensor("y", "batch", 3, 12, 12));
    graph.addOutput(floatTensor("z", "batch", 3, 12, 12));
    return GraphBuilder.model(graph.build(), 13);
  }

  private static Map<String, float[]> run(OnnxMl.ModelProto model, float[] x) throws Exception {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession s = env.createSession(model.toByteArray());
        OnnxTensor in = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), new long[] {1, 2, 6, 6});
        OrtSession.Result res = s.run(Map.of("x", in))) {
      Map<String, float[]> out = new HashMap<>();
      for (String name : List.of("y", "z")) {
        OnnxTensor t = (OnnxTensor) res.get(name).orElseThrow();
        assertThat(t.getInfo().type).as(name).isEqualTo(ai.onnxruntime.OnnxJavaType.FLOAT);
        FloatBuffer fb = t.getFloatBuffer();
        float[] v = new float[fb.remaining()];
        fb.get(v);
        out.put(name, v);
      }
      return out;
    }
  }

  @Test
  void computesInHalfPrecisionWithFloatInputsAndOutputs() throws Exception {
    OnnxMl.ModelProto fp32 = sample();
    OnnxMl.ModelProto fp16 = Float16Conversion.convert(fp32, "sample");
    // weights half; Resize's roi and scales stay float (ONNX types them float whatever T is)
    for (TensorProto t : fp16.getGraph().getInitializerList()) {
      assertThat(t.getDataType())
          .as(t.getName())
          .isEqualTo(
              t.getName().contains("roi") || t.getName().contains("scales") ? FLOAT : FLOAT16);
    }
    // x cast to half, the graph's Cast(to=float) now to half, y and z cast back to float
    assertThat(fp16.getGraph().getNodeList())
        .filteredOn(n -> n.getOpType().equals("Cast"))
        .extracting(n -> n.getAttribute(0).getI())
        .containsExactlyInAnyOrder((long) FLOAT16, (long) FLOAT16, (long) FLOAT, (long) FLOAT);
    assertThat(fp16.getGraph().getInputList())
        .extracting(v -> v.getType().getTensorType().getElemType())
        .containsExactly(FLOAT);

    float[] x = new float[2 * 6 * 6];
    Random r = new Random(5);
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) r.nextGaussian();
    }
    Map<String, float[]> want = run(fp32, x);
    Map<String, float[]> got = run(fp16, x);
    for (String name : List.of("y", "z")) {
      float[] a = want.get(name);
      float[] b = got.get(name);
      assertThat(b).hasSameSizeAs(a);
      double worst = 0;
      double scale = 0;
      boolean differs = false;
      for (int i = 0; i < a.length; i++) {
        worst = Math.max(worst, Math.abs(a[i] - b[i]));
        scale = Math.max(scale, Math.abs(a[i]));
        differs |= a[i] != b[i];
      }
      // fp16 keeps 11 significant bits: a few 2^-11 of the values' scale after an 18-term Conv and
      // a Resize
      assertThat(worst).as(name).isLessThan(4e-3 * scale);
      assertThat(differs).as(name + " was computed in fp16, not left in fp32").isTrue();
    }
  }

  @Test
  void refusesQuantisedGraphsAndGraphsWithControlFlow() {
    OnnxMl.GraphProto.Builder graph = OnnxMl.GraphProto.newBuilder().setName("q");
    graph.addInput(floatTensor("x", 4));
    GraphBuilder g = new GraphBuilder(graph, "q_");
    String scale = g.floatConstant("s", new float[] {0.1f}, 1);
    String q = g.node("QuantizeLinear", List.of("x", scale));
    g.node("DequantizeLinear", List.of(q, scale), List.of("y"));
    graph.addOutput(floatTensor("y", 4));
    assertThatThrownBy(
            () -> Float16Conversion.convert(GraphBuilder.model(graph.build(), 13), "int8.onnx"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("int8.onnx is quantised (QuantizeLinear, DequantizeLinear)")
        .hasMessageContaining("--backbone fp32");

    OnnxMl.GraphProto.Builder branchy = OnnxMl.GraphProto.newBuilder().setName("l");
    branchy.addInput(floatTensor("x", 4));
    new GraphBuilder(branchy, "l_").node("If", List.of("x"), List.of("y"));
    assertThatThrownBy(
            () -> Float16Conversion.convert(GraphBuilder.model(branchy.build(), 13), "if.onnx"))
        .hasMessageContaining("control flow (If node");

    assertThatThrownBy(() -> ComputePrecision.parse("int4"))
        .hasMessageContaining("fp32, fp16 (was 'int4')");
  }
}
