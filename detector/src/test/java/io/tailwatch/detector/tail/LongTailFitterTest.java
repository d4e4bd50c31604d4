package io.tailwatch.detector.tail;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.tailwatch.detector.bank.CoresetMethod;
import io.tailwatch.detector.bank.MemoryBank;
import io.tailwatch.detector.bank.PatchCoreFitter;
import io.tailwatch.detector.features.BackboneModel;
import io.tailwatch.detector.features.FeatureExtractor;
import io.tailwatch.detector.features.PatchEmbeddingSpec;
import io.tailwatch.detector.image.FloatImage;
import io.tailwatch.detector.image.ImageSource;
import io.tailwatch.detector.image.Preprocessing;
import io.tailwatch.detector.knn.OnnxKnnScorer;
import io.tailwatch.detector.onnx.ExecutionProvider;
import io.tailwatch.detector.scoring.Detection;
import io.tailwatch.detector.scoring.DetectorOptions;
import io.tailwatch.detector.scoring.PatchCoreDetector;
import io.tailwatch.detector.testing.TinyBackbone;
import io.tailwatch.detector.util.Progress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SoftPatch and TailedCore banks end to end on a generated CNN: structure, header, file round trip,
 * weights.
 */
class LongTailFitterTest {
  static final Preprocessing P32 =
      new Preprocessing(32, 0, Preprocessing.IMAGENET_MEAN, Preprocessing.IMAGENET_STD);

  static FloatImage stripes(Random r, boolean defect) {
    int s = 32;
    float[] px = new float[s * s];
    double phase = r.nextDouble() * Math.PI * 2;
    for (int y = 0; y < s; y++) {
      for (int x = 0; x < s; x++) {
        double v = 0.5 + 0.2 * Math.sin((x + y) * 0.6 + phase) + r.nextGaussian() * 0.03;
        if (defect && x >= 10 && x < 18 && y >= 10 && y < 18) {
          v = 0.98;
        }
        px[y * s + x] = (float) Math.max(0, Math.min(1, v));
      }
    }
    return new FloatImage(s, s, 1, px);
  }

  static FloatImage checks(Random r) {
    int s = 32;
    float[] px = new float[s * s];
    for (int y = 0; y < s; y++) {
      for (int x = 0; x < s; x++) {
        px[y * s + x] = (float) (((x / 4 + y / 4) % 2 == 0 ? 0.2 : 0.8) + r.nextGaussian() * 0.02);
      }
    }
    return new FloatImage(s, s, 1, px);
  }

  @Test
  void buildsTailedCoreAndSoftPatchBanks(@TempDir Path dir) throws Exception {
    BackboneModel model = BackboneModel.load(TinyBackbone.write(dir, "tiny.onnx"));
    PatchEmbeddingSpec spec =
        new PatchEmbeddingSpec(model.layers(List.of("feat_a", "feat_b")), 3, 36, 32);
    Random r = new Random(5);
    List<ImageSource> images = new ArrayList<>();
    for (int i = 0; i < 24; i++) {
      images.add(ImageSource.of("head" + i, stripes(r, i % 8 == 7))); // 3 noisy head images
    }
    images.add(ImageSource.of("tail0", checks(r)));
    images.add(ImageSource.of("tail1", checks(r)));
    try (FeatureExtractor extractor = FeatureExtractor.open(model, spec, ExecutionProvider.CPU, 1);
        OnnxKnnScorer knn = OnnxKnnScorer.open(ExecutionProvider.CPU, 1)) {
      PatchCoreFitter fitter =
          new PatchCoreFitter(
              extractor,
              new PatchCoreFitter.Options(0.1, CoresetMethod.APPROXIMATE, 128, 1, 8, P32),
              knn.nearestCentres());
      PatchCoreFitter.Embedded plain = fitter.embed(images, Progress.NONE);
      assertThat(plain.global()).as("the tiny CNN has no feat_s32").isNull();
      LongTailFitter fit =
          new LongTailFitter(
              fitter, new LongTailFitter.Options(TailAugmentation.ROTFLIP, 6, 0.85, 16));
      assertThatThrownBy(() -> fit.tailedCore(plain, images, "v", Progress.NONE, Progress.NONE))
          .hasMessageContaining("global embeddings");

      // global embeddings standing in for the pooled last layer: the two checkerboards point
      // elsewhere
      float[] global = new float[26 * 4];
      for (int i = 0; i < 26; i++) {
        global[i * 4 + (i < 24 ? 0 : 1)] = 1;
        global[i * 4 + 2] = 0.01f * (i % 5);
      }
      PatchCoreFitter.Embedded e =
          new PatchCoreFitter.Embedded(
              plain.patches(), 26, plain.positions(), plain.dim(), global, 4);
      LongTailFitter.Report tailed = fit.tailedCore(e, images, "tc1", Progress.NONE, Progress.NONE);
      assertThat(tailed.tailImages()).isEqualTo(2);
      assertThat(tailed.tailSampler().tail()).containsExactly(24, 25);
      assertThat(tailed.tailCopies()).isEqualTo(2 * 7);
      int positions = plain.positions();
      long tailPatches = 16L * positions;
      assertThat(tailed.headPatches()).isEqualTo(24L * positions);
      // patches at or above the 85th LOF percentile are gone
      assertThat((double) tailed.headPatchesKept())
          .isCloseTo(0.85 * 24 * positions, within(0.01 * 24 * positions));
      MemoryBank bank = tailed.bank();
      assertThat(bank.header().method()).isEqualTo("tailedcore");
      assertThat(bank.header().params())
          .containsEntry("coreset", "exact")
          .containsEntry("augmentation", "rotflip")
          .containsEntry("tailImages", 2)
          .containsEntry("lofK", 6);
      assertThat((long) bank.count())
          .isEqualTo(Math.round(0.1 * tailPatches) + Math.round(0.1 * tailed.headPatchesKept()));
      bank.write(dir.resolve("tc.twb"));
      assertThat(MemoryBank.load(dir.resolve("tc.twb")).count()).isEqualTo(bank.count());
      // the approximate coreset on request: the same sizes, recorded in the header
      MemoryBank approximate =
          new LongTailFitter(
                  fitter,
                  new LongTailFitter.Options(
                      TailAugmentation.ROTFLIP, 6, 0.85, 16, CoresetMethod.APPROXIMATE))
              .tailedCore(e, images, "tc2", Progress.NONE, Progress.NONE)
              .bank();
      assertThat(approximate.header().params()).containsEntry("coreset", "approximate");
      assertThat(approximate.count()).isEqualTo(bank.count());

      LongTailFitter.Report soft = fit.softPatch(plain, "sp1", Progress.NONE);
      MemoryBank sp = soft.bank();
      assertThat(sp.header().method()).isEqualTo("softpatch");
      assertThat(sp.weights()).hasSize(sp.count());
      for (float w : sp.weights()) {
        assertThat(w).isPositive();
      }
      sp.write(dir.resolve("sp.twb"));
      MemoryBank loaded = MemoryBank.load(dir.resolve("sp.twb"));
      assertThat(loaded.header().patchWeights()).isEqualTo("lof");
      assertThat(loaded.weights()).containsExactly(sp.weights());
      assertThat(loaded.vectors().get(5)).isEqualTo(sp.vectors().get(5));
    }
  }

  @Test
  void weightsMultiplyTheDistance(@TempDir Path dir) throws Exception {
    BackboneModel model = BackboneModel.load(TinyBackbone.write(dir, "tiny.onnx"));
    PatchEmbeddingSpec spec =
        new PatchEmbeddingSpec(model.layers(List.of("feat_a", "feat_b")), 3, 36, 32);
    Random r = new Random(9);
    List<ImageSource> train = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      train.add(ImageSource.of("n" + i, stripes(r, false)));
    }
    List<FloatImage> test = List.of(stripes(r, false), stripes(r, true));
    try (FeatureExtractor extractor = FeatureExtractor.open(model, spec, ExecutionProvider.CPU, 1);
        OnnxKnnScorer knn = OnnxKnnScorer.open(ExecutionProvider.CPU, 1)) {
      PatchCoreFitter fitter =
          new PatchCoreFitter(
              extractor,
              new PatchCoreFitter.Options(0.2, CoresetMethod.APPROXIMATE, 128, 1, 8, P32));
      MemoryBank plain = fitter.build(fitter.embed(train, Progress.NONE), "p", Progress.NONE);
      float[] data = new float[plain.count() * plain.dim()];
      plain.vectors().get(data);
      float[] twos = new float[plain.count()];
      Arrays.fill(twos, 2f);
      MemoryBank doubled = MemoryBank.weighted(plain.header(), data, plain.count(), twos);
      List<Detection> a;
      List<Detection> b;
      try (PatchCoreDetector d =
          new PatchCoreDetector(extractor, knn, plain, DetectorOptions.DEFAULT)) {
        a = d.detect(test);
      }
      try (PatchCoreDetector d =
          new PatchCoreDetector(extractor, knn, doubled, DetectorOptions.DEFAULT)) {
        b = d.detect(test);
      }
      for (int i = 0; i < test.size(); i++) {
        // squared distances: weight 2 -> x4
        assertThat(b.get(i).score())
            .isCloseTo(4 * a.get(i).score(), within(1e-4 * a.get(i).score() + 1e-9));
      }
      assertThatThrownBy(
              () -> MemoryBank.weighted(plain.header(), data, plain.count(), new float[3]))
          .hasMessageContaining("need " + plain.count() + " weights");
    }
  }
}
