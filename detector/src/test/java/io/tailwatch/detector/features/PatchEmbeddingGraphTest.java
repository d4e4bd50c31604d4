package io.tailwatch.detector.features;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PatchEmbeddingGraphTest {

  @Test
  void adaptivePoolingWindowsOverlapLikePytorch() {
    // L=5 -> 3: [0,2) [1,4) [3,5)
    float[] p = AdaptivePooling.matrix(5, 3);
    assertThat(p[0 * 3 + 0]).isEqualTo(0.5f);
    assertThat(p[1 * 3 + 0]).isEqualTo(0.5f);
    assertThat(p[1 * 3 + 1]).isEqualTo(1f / 3);
    assertThat(p[3 * 3 + 1]).isEqualTo(1f / 3);
    assertThat(p[3 * 3 + 2]).isEqualTo(0.5f);
    assertThat(p[2 * 3 + 2]).isZero();
    assertThatThrownBy(() -> AdaptivePooling.matrix(288, 1024)).hasMessageContaining("upsample");
  }

  @Test
  void mobileNetDefaultsNeverUpsample() {
    List<FeatureLayer> layers =
        List.of(new FeatureLayer("feat_s8", 32, 28, 28), new FeatureLayer("feat_s16", 96, 14, 14));
    PatchEmbeddingSpec spec = PatchEmbeddingSpec.defaults(layers);
    assertThat(spec.pretrainDim()).isEqualTo(PatchEmbeddingSpec.PER_CHANNEL);
    assertThat(spec.stackedDim()).isEqualTo(128);
    assertThat(spec.targetDim()).isEqualTo(128);
    assertThat(spec.positions()).isEqualTo(784);
    assertThatThrownBy(() -> new PatchEmbeddingSpec(layers, 3, 1024, 1024))
        .hasMessageContaining("must never upsample")
        .hasMessageContaining("feat_s8");
  }

  @Test
  void onnxGraphMatchesJavaReferenceOnRandomTensors() throws Exception {
    assertMatches(
        new PatchEmbeddingSpec(
            List.of(new FeatureLayer("a", 4, 6, 6), new FeatureLayer("b", 8, 3, 3)), 3, 30, 20),
        3);
  }

  @Test
  void onnxGraphMatchesJavaReferenceAtMobileNetShapes() throws Exception {
    assertMatches(
        new PatchEmbeddingSpec(
            List.of(
                new FeatureLayer("feat_s8", 32, 28, 28), new FeatureLayer("feat_s16", 96, 14, 14)),
            3,
            288,
            128),
        2);
  }

  @Test
  void perChannelPoolingMatchesJavaReference() throws Exception {
    PatchEmbeddingSpec spec =
        new PatchEmbeddingSpec(
            List.of(
                new FeatureLayer("feat_s8", 32, 28, 28), new FeatureLayer("feat_s16", 96, 14, 14)),
            3,
            PatchEmbeddingSpec.PER_CHANNEL,
            128);
    assertThat(spec.stackedDim()).isEqualTo(128);
    assertMatches(spec, 2);
    assertThatThrownBy(
            () -> new PatchEmbeddingSpec(spec.layers(), 3, PatchEmbeddingSpec.PER_CHANNEL, 129))
        .hasMessageContaining("[1, 128]");
  }

  private static void assertMatches(PatchEmbeddingSpec spec, int n) throws Exception {
    Random r = new Random(1);
    float[][] maps = new float[spec.layers().size()][];
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    Map<String, OnnxTensor> inputs = new HashMap<>();
    try (OrtSession session =
        env.createSession(PatchEmbeddingGraph.standalone(spec).toByteArray())) {
      for (int l = 0; l < maps.length; l++) {
        FeatureLayer L = spec.layers().get(l);
        maps[l] = new float[n * L.channels() * L.height() * L.width()];
        for (int i = 0; i < maps[l].length; i++) {
          maps[l][i] = (float) r.nextGaussian();
        }
        inputs.put(
            L.name(),
            OnnxTensor.createTensor(
                env,
                FloatBuffer.wrap(maps[l]),
                new long[] {n, L.channels(), L.height(), L.width()}));
      }
      float[] expected = PatchEmbeddingReference.embed(spec, n, maps);
      try (OrtSession.Result result = session.run(inputs)) {
        OnnxTensor out = (OnnxTensor) result.get(PatchEmbeddingGraph.PATCHES_OUTPUT).orElseThrow();
        assertThat(out.getInfo().getShape()).containsExactly(n, spec.positions(), spec.targetDim());
        float[] actual = new float[expected.length];
        out.getFloatBuffer().get(actual);
        for (int i = 0; i < expected.length; i++) {
          assertThat(actual[i])
              .as("value %d", i)
              .isCloseTo(expected[i], org.assertj.core.data.Offset.offset(1e-4f));
        }
      }
    } finally {
      inputs.values().forEach(OnnxTensor::close);
    }
  }
}
