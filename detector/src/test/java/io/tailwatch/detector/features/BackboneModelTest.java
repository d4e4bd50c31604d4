package io.tailwatch.detector.features;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnxruntime.OrtException;
import io.tailwatch.detector.image.FloatImage;
import io.tailwatch.detector.image.ImageDecoder;
import io.tailwatch.detector.image.Preprocessing;
import io.tailwatch.detector.onnx.ExecutionProvider;
import io.tailwatch.detector.onnx.OrtSessions;
import io.tailwatch.detector.onnx.ProviderChoice;
import io.tailwatch.detector.testing.SharedFixtures;
import io.tailwatch.detector.testing.TinyBackbone;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BackboneModelTest {
  @TempDir Path dir;

  @Test
  void clearErrorsForMissingBrokenOrUnfitModels() throws Exception {
    assertThatThrownBy(() -> BackboneModel.load(dir.resolve("nope.onnx")))
        .hasMessageContaining("backbone model file not found")
        .hasMessageContaining("TAILWATCH_MODEL_DIR");
    Files.write(dir.resolve("junk.onnx"), new byte[] {1, 2, 3, 4, 5});
    assertThatThrownBy(() -> BackboneModel.load(dir.resolve("junk.onnx")))
        .hasMessageContaining("is not an ONNX model");

    BackboneModel tiny = BackboneModel.load(TinyBackbone.write(dir, "tiny.onnx"));
    assertThat(tiny.inputSize()).isEqualTo(32);
    assertThat(tiny.layer("feat_b").channels()).isEqualTo(8);
    assertThatThrownBy(() -> tiny.layer("feat_s8"))
        .hasMessageContaining("has no 4-D feature output 'feat_s8'")
        .hasMessageContaining("[feat_a, feat_b, feat_c]");
  }

  @Test
  void refusesAModelWhoseInputIsNotAnRgbImageBatch() throws Exception {
    ai.onnx.proto.OnnxMl.GraphProto.Builder graph =
        ai.onnx.proto.OnnxMl.GraphProto.newBuilder().setName("gray");
    graph.addInput(
        io.tailwatch.detector.onnx.GraphBuilder.floatTensor("pixels", "batch", 1, 32, 32));
    new io.tailwatch.detector.onnx.GraphBuilder(graph, "g_")
        .node("Relu", List.of("pixels"), List.of("feat"));
    graph.addOutput(
        io.tailwatch.detector.onnx.GraphBuilder.floatTensor("feat", "batch", 1, 32, 32));
    Files.write(
        dir.resolve("gray.onnx"),
        io.tailwatch.detector.onnx.GraphBuilder.model(graph.build(), 12).toByteArray());
    assertThatThrownBy(() -> BackboneModel.load(dir.resolve("gray.onnx")))
        .hasMessageContaining("input 'pixels' must be float [N,3,S,S]")
        .hasMessageContaining("[?,1,32,32]");
  }

  @Test
  void cudaRequestOnACpuBuildFailsAndAutoSaysItFellBack() throws OrtException {
    byte[] model = TinyBackbone.model(1).toByteArray();
    assertThatThrownBy(() -> OrtSessions.open(model, ExecutionProvider.CUDA, 1, "test"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("device=cuda was requested");
    try (OrtSessions.Opened opened = OrtSessions.open(model, ExecutionProvider.AUTO, 1, "test")) {
      ProviderChoice choice = opened.provider();
      assertThat(choice.actual()).isEqualTo(ExecutionProvider.CPU);
      assertThat(choice.fellBack()).isTrue();
      assertThat(choice.toString()).contains("CUDA unavailable");
    }
    assertThatThrownBy(() -> ExecutionProvider.parse("tpu"))
        .hasMessageContaining("auto, cpu, cuda");
  }

  /**
   * The real MobileNetV2 (TAILWATCH_MODEL_DIR): 784 patch vectors of 128 values, a 320-d global
   * vector.
   */
  @Test
  void mobileNetFeaturesOnTheSanityImage() throws Exception {
    Path modelFile = SharedFixtures.modelFile("mobilenetv2-12-int8-features.onnx");
    Path image = SharedFixtures.modelFile("sanity/chelsea.png");
    BackboneModel model = BackboneModel.load(modelFile);
    PatchEmbeddingSpec spec =
        PatchEmbeddingSpec.defaults(model.layers(BackboneModel.DEFAULT_LAYERS));
    FloatImage cat = new ImageDecoder().read(image);
    float[] input = new float[2 * 3 * 224 * 224];
    Preprocessing p = Preprocessing.DEFAULT;
    p.normalizeInto(p.geometry(cat), input, 0);
    p.normalizeInto(p.geometry(cat), input, 3 * 224 * 224);
    try (FeatureExtractor ex = FeatureExtractor.open(model, spec, ExecutionProvider.CPU, 0)) {
      PatchFeatures f = ex.extract(input, 2);
      assertThat(f.positions()).isEqualTo(784);
      assertThat(f.dim()).isEqualTo(128);
      assertThat(f.globalDim()).isEqualTo(320);
      float[] a = java.util.Arrays.copyOfRange(f.patches(), 0, 784 * 128);
      float[] b = java.util.Arrays.copyOfRange(f.patches(), 784 * 128, 2 * 784 * 128);
      assertThat(a).containsExactly(b); // batch items are independent
      double energy = 0;
      for (float v : a) {
        assertThat(Float.isFinite(v)).isTrue();
        energy += Math.abs(v);
      }
      assertThat(energy).isGreaterThan(0);
    }
  }

  /**
   * Deriving the taps from the zoo's classifier gives exactly the shipped -features model's
   * outputs.
   */
  @Test
  void derivedTapsEqualTheShippedFeatureModel() throws Exception {
    Path zoo = SharedFixtures.modelFile("mobilenetv2-12-int8.onnx");
    Path shipped = SharedFixtures.modelFile("mobilenetv2-12-int8-features.onnx");
    Path image = SharedFixtures.modelFile("sanity/coffee.png");
    ai.onnx.proto.OnnxMl.ModelProto derived =
        FeatureTaps.addTaps(
            ai.onnx.proto.OnnxMl.ModelProto.parseFrom(Files.readAllBytes(zoo)),
            FeatureTaps.MOBILENET_V2);
    Files.write(dir.resolve("derived.onnx"), derived.toByteArray());
    BackboneModel model = BackboneModel.load(dir.resolve("derived.onnx"));
    assertThat(model.layer("feat_s16").channels()).isEqualTo(96);

    float[] input = new float[3 * 224 * 224];
    Preprocessing p = Preprocessing.IMAGENET_CROP;
    p.normalizeInto(p.geometry(new ImageDecoder().read(image)), input, 0);
    ai.onnxruntime.OrtEnvironment env = ai.onnxruntime.OrtEnvironment.getEnvironment();
    try (ai.onnxruntime.OrtSession a = env.createSession(derived.toByteArray());
        ai.onnxruntime.OrtSession b = env.createSession(Files.readAllBytes(shipped));
        ai.onnxruntime.OnnxTensor t =
            ai.onnxruntime.OnnxTensor.createTensor(
                env, java.nio.FloatBuffer.wrap(input), new long[] {1, 3, 224, 224});
        ai.onnxruntime.OrtSession.Result ra = a.run(java.util.Map.of("input", t));
        ai.onnxruntime.OrtSession.Result rb = b.run(java.util.Map.of("input", t))) {
      for (FeatureTaps.Tap tap : FeatureTaps.MOBILENET_V2) {
        java.nio.FloatBuffer fa =
            ((ai.onnxruntime.OnnxTensor) ra.get(tap.output()).orElseThrow()).getFloatBuffer();
        java.nio.FloatBuffer fb =
            ((ai.onnxruntime.OnnxTensor) rb.get(tap.output()).orElseThrow()).getFloatBuffer();
        assertThat(fa.remaining()).isEqualTo(tap.channels() * tap.height() * tap.width());
        float worst = 0;
        while (fa.hasRemaining()) {
          worst = Math.max(worst, Math.abs(fa.get() - fb.get()));
        }
        assertThat(worst).as(tap.output()).isLessThanOrEqualTo(1e-6f);
      }
      // the classifier still says espresso (ImageNet class 967)
      java.nio.FloatBuffer logits =
          ((ai.onnxruntime.OnnxTensor) ra.get("output").orElseThrow()).getFloatBuffer();
      int arg = 0;
      for (int i = 1; i < logits.remaining(); i++) {
        arg = logits.get(i) > logits.get(arg) ? i : arg;
      }
      assertThat(arg).isEqualTo(967);
    }
    assertThatThrownBy(
            () ->
                FeatureTaps.addTaps(derived, List.of(new FeatureTaps.Tap("x", "no-such", 1, 1, 1))))
        .hasMessageContaining("no tensor 'no-such'");
  }
}
