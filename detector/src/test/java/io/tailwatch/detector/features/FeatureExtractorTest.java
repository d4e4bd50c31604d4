package io.tailwatch.detector.features;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tailwatch.detector.onnx.ComputePrecision;
import io.tailwatch.detector.onnx.ExecutionProvider;
import io.tailwatch.detector.testing.SharedFixtures;
import io.tailwatch.detector.testing.TinyBackbone;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FeatureExtractorTest {
  @TempDir Path dir;

  private static float[] images(int n, int size, long seed) {
    Random r = new Random(seed);
    float[] x = new float[n * 3 * size * size];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) r.nextGaussian();
    }
    return x;
  }

  /** The bound input/output tensors follow the batch size; every image's features stay its own. */
  @Test
  void boundBuffersFollowTheBatchSize() throws Exception {
    BackboneModel model = BackboneModel.load(TinyBackbone.write(dir, "tiny.onnx"));
    PatchEmbeddingSpec spec =
        new PatchEmbeddingSpec(model.layers(List.of("feat_a", "feat_b")), 3, 36, 32);
    int per = 3 * 32 * 32;
    int vectors = spec.positions() * spec.targetDim();
    float[] three = images(3, 32, 1);
    try (FeatureExtractor ex = FeatureExtractor.open(model, spec, ExecutionProvider.CPU, 1)) {
      PatchFeatures batch = ex.extract(three, 3);
      for (int i : new int[] {2, 0, 1}) {
        PatchFeatures one = ex.extract(Arrays.copyOfRange(three, i * per, (i + 1) * per), 1);
        assertThat(one.patches())
            .containsExactly(Arrays.copyOfRange(batch.patches(), i * vectors, (i + 1) * vectors));
      }
      PatchFeatures again = ex.extract(three, 3);
      assertThat(again.patches()).containsExactly(batch.patches());
      // a larger batch grows the buffers (the smaller batches' tensors are made again over the new
      // ones)
      float[] five = new float[5 * per];
      System.arraycopy(three, 0, five, 2 * per, 3 * per);
      PatchFeatures grown = ex.extract(five, 5);
      assertThat(Arrays.copyOfRange(grown.patches(), 2 * vectors, 5 * vectors))
          .containsExactly(batch.patches());
      assertThat(ex.extract(Arrays.copyOfRange(three, 0, per), 1).patches())
          .containsExactly(Arrays.copyOfRange(batch.patches(), 0, vectors));
      assertThat(again.patches())
          .isNotSameAs(batch.patches()); // results are copies, not views of the buffers
      assertThatThrownBy(() -> ex.extract(new float[per], 2))
          .hasMessageContaining("needs " + 2 * per + " values");
    }
  }

  /**
   * With outputs bound to the extractor's buffers a run allocates on the Java heap little more than
   * the result arrays it returns; reading ONNX Runtime's own outputs cost a second copy of them
   * (getFloatBuffer copies).
   */
  @Test
  void aRunAllocatesLittleMoreThanItsResults() throws Exception {
    BackboneModel model = BackboneModel.load(TinyBackbone.write(dir, "tiny.onnx"));
    PatchEmbeddingSpec spec =
        new PatchEmbeddingSpec(model.layers(List.of("feat_a", "feat_b")), 3, 36, 32);
    float[] x = images(8, 32, 4);
    var threads =
        (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
    long self = Thread.currentThread().getId();
    try (FeatureExtractor ex = FeatureExtractor.open(model, spec, ExecutionProvider.CPU, 1)) {
      PatchFeatures warm = ex.extract(x, 8);
      long results =
          4L * (warm.patches().length + (warm.global() == null ? 0 : warm.global().length));
      int runs = 20;
      long before = threads.getThreadAllocatedBytes(self);
      for (int i = 0; i < runs; i++) {
        ex.extract(x, 8);
      }
      long perRun = (threads.getThreadAllocatedBytes(self) - before) / runs;
      assertThat(perRun).as("bytes per run, results " + results).isLessThan(results + results / 4);
    }
  }

  /**
   * FP16 on the tiny CNN: the same shapes, close to fp32, and really computed in fp16 (not
   * identical).
   */
  @Test
  void halfPrecisionIsCloseToSinglePrecision() throws Exception {
    BackboneModel model = BackboneModel.load(TinyBackbone.write(dir, "tiny.onnx"));
    PatchEmbeddingSpec spec =
        new PatchEmbeddingSpec(model.layers(List.of("feat_a", "feat_b")), 3, 36, 32);
    float[] x = images(4, 32, 2);
    try (FeatureExtractor fp32 = FeatureExtractor.open(model, spec, ExecutionProvider.CPU, 1);
        FeatureExtractor fp16 =
            FeatureExtractor.open(model, spec, ExecutionProvider.CPU, 1, ComputePrecision.FP16)) {
      assertThat(fp16.precision()).isEqualTo(ComputePrecision.FP16);
      float[] a = fp32.extract(x, 4).patches();
      float[] b = fp16.extract(x, 4).patches();
      assertThat(b).hasSameSizeAs(a);
      double worst = 0;
      double scale = 0;
      for (int i = 0; i < a.length; i++) {
        worst = Math.max(worst, Math.abs(a[i] - b[i]));
        scale = Math.max(scale, Math.abs(a[i]));
      }
      assertThat(worst).isGreaterThan(0).isLessThan(5e-3 * scale);
    }
  }

  /**
   * The float32 MobileNetV2 (TAILWATCH_MODEL_DIR) converts and runs; patch vectors within 2% of
   * fp32's.
   */
  @Test
  void halfPrecisionMobileNet() throws Exception {
    BackboneModel model =
        BackboneModel.load(SharedFixtures.modelFile("mobilenetv2-12-dequant-fp32-features.onnx"));
    PatchEmbeddingSpec spec =
        PatchEmbeddingSpec.defaults(model.layers(BackboneModel.DEFAULT_LAYERS));
    float[] x = images(2, 224, 3);
    try (FeatureExtractor fp32 = FeatureExtractor.open(model, spec, ExecutionProvider.CPU, 0);
        FeatureExtractor fp16 =
            FeatureExtractor.open(model, spec, ExecutionProvider.CPU, 0, ComputePrecision.FP16)) {
      PatchFeatures a = fp32.extract(x, 2);
      PatchFeatures b = fp16.extract(x, 2);
      assertThat(b.globalDim()).isEqualTo(a.globalDim()).isEqualTo(320);
      double err = 0;
      double norm = 0;
      for (int i = 0; i < a.patches().length; i++) {
        double d = a.patches()[i] - b.patches()[i];
        err += d * d;
        norm += (double) a.patches()[i] * a.patches()[i];
      }
      assertThat(Math.sqrt(err / norm)).isGreaterThan(0).isLessThan(0.02);
    }
  }

  /** The shipped int8 model cannot be converted: the error names it and the float32 alternative. */
  @Test
  void halfPrecisionRefusesTheQuantisedBackbone() throws Exception {
    BackboneModel model =
        BackboneModel.load(SharedFixtures.modelFile("mobilenetv2-12-int8-features.onnx"));
    PatchEmbeddingSpec spec =
        PatchEmbeddingSpec.defaults(model.layers(BackboneModel.DEFAULT_LAYERS));
    assertThatThrownBy(
            () ->
                FeatureExtractor.open(model, spec, ExecutionProvider.CPU, 1, ComputePrecision.FP16))
        .hasMessageContaining("mobilenetv2-12-int8-features.onnx is quantised")
        .hasMessageContaining("--backbone fp32");
  }
}
