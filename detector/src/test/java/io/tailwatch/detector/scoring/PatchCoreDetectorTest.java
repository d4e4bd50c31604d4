package io.tailwatch.detector.scoring;

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
import io.tailwatch.detector.metrics.BinaryScores;
import io.tailwatch.detector.onnx.ExecutionProvider;
import io.tailwatch.detector.testing.TestBanks;
import io.tailwatch.detector.testing.TinyBackbone;
import io.tailwatch.detector.util.Progress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** End to end on a generated CNN and generated textures: fit, bank file, detect, maps. */
class PatchCoreDetectorTest {
  static final Preprocessing P32 =
      new Preprocessing(32, 0, Preprocessing.IMAGENET_MEAN, Preprocessing.IMAGENET_STD);

  /**
   * Diagonal stripes with random phase and noise; a defect is a bright 12x12 square at (x0, y0).
   */
  static FloatImage texture(Random r, int x0, int y0) {
    int s = 64;
    float[] px = new float[s * s];
    double phase = r.nextDouble() * Math.PI * 2;
    for (int y = 0; y < s; y++) {
      for (int x = 0; x < s; x++) {
        double v = 0.5 + 0.2 * Math.sin((x + y) * 0.6 + phase) + r.nextGaussian() * 0.03;
        if (x0 >= 0 && x >= x0 && x < x0 + 12 && y >= y0 && y < y0 + 12) {
          v = 0.95;
        }
        px[y * s + x] = (float) Math.max(0, Math.min(1, v));
      }
    }
    return new FloatImage(s, s, 1, px);
  }

  @Test
  void detectsAndLocalisesDefectsOnGeneratedData(@TempDir Path dir) throws Exception {
    BackboneModel model = BackboneModel.load(TinyBackbone.write(dir, "tiny.onnx"));
    PatchEmbeddingSpec spec =
        new PatchEmbeddingSpec(model.layers(List.of("feat_a", "feat_b")), 3, 36, 32);
    Random r = new Random(11);
    List<ImageSource> train = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      train.add(ImageSource.of("n" + i, texture(r, -1, -1)));
    }
    try (FeatureExtractor extractor = FeatureExtractor.open(model, spec, ExecutionProvider.CPU, 1);
        OnnxKnnScorer knn = OnnxKnnScorer.open(ExecutionProvider.CPU, 1)) {
      PatchCoreFitter fitter =
          new PatchCoreFitter(
              extractor,
              new PatchCoreFitter.Options(0.25, CoresetMethod.APPROXIMATE, 128, 1, 8, P32));
      PatchCoreFitter.Embedded embedded = fitter.embed(train, Progress.NONE);
      assertThat(embedded.count()).isEqualTo(40 * 256);
      MemoryBank built = fitter.build(embedded, "v1", Progress.NONE);
      assertThat(built.count()).isEqualTo(2560);
      built.write(dir.resolve("bank.twb"));
      MemoryBank bank = MemoryBank.load(dir.resolve("bank.twb"));
      assertThat(bank.header().method()).isEqualTo("patchcore");
      assertThat(bank.header().params()).containsEntry("coreset", "approximate");

      List<FloatImage> test = new ArrayList<>();
      int[][] defects = new int[20][];
      for (int i = 0; i < 20; i++) {
        boolean defect = i % 2 == 1;
        defects[i] = defect ? new int[] {8 + r.nextInt(40), 8 + r.nextInt(40)} : null;
        test.add(texture(r, defect ? defects[i][0] : -1, defect ? defects[i][1] : -1));
      }
      boolean[] labels = new boolean[20];
      try (PatchCoreDetector detector =
          new PatchCoreDetector(extractor, knn, bank, DetectorOptions.DEFAULT)) {
        List<Detection> out = detector.detect(test);
        double[] scores = out.stream().mapToDouble(Detection::score).toArray();
        for (int i = 0; i < 20; i++) {
          labels[i] = defects[i] != null;
        }
        assertThat(BinaryScores.of(scores, labels).auroc()).isEqualTo(1.0);
        for (int i = 0; i < 20; i++) {
          if (defects[i] == null) {
            continue;
          }
          Detection d = out.get(i);
          assertThat(d.mapSize()).isEqualTo(32);
          int arg = 0;
          for (int p = 1; p < d.map().length; p++) {
            arg = d.map()[p] > d.map()[arg] ? p : arg;
          }
          // map peak (32 px geometry) inside the defect (64 px frame), with a 3 px margin
          int px = arg % 32 * 2;
          int py = arg / 32 * 2;
          assertThat(px)
              .as("peak x of image %d", i)
              .isBetween(defects[i][0] - 6, defects[i][0] + 18);
          assertThat(py)
              .as("peak y of image %d", i)
              .isBetween(defects[i][1] - 6, defects[i][1] + 18);
        }
        Detection reweighted;
        try (PatchCoreDetector rw =
            new PatchCoreDetector(extractor, knn, bank, new DetectorOptions(true, 9, 4))) {
          reweighted = rw.detect(List.of(test.get(1))).get(0);
        }
        assertThat(reweighted.score()).isLessThan(out.get(1).score()).isGreaterThan(0);

        // scores from already embedded patches (cross-fitted calibration) equal detect()'s
        List<ImageSource> sources = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
          sources.add(ImageSource.of("t" + i, test.get(i)));
        }
        PatchCoreFitter.Embedded e = fitter.embed(sources, Progress.NONE);
        double[] fromEmbedded =
            detector.imageScores(e.patches(), e.images(), e.positions(), e.dim());
        for (int i = 0; i < 6; i++) {
          assertThat(fromEmbedded[i]).as("image %d", i).isCloseTo(out.get(i).score(), within(1e-4));
        }
        try (PatchCoreDetector rw =
            new PatchCoreDetector(extractor, knn, bank, new DetectorOptions(true, 9, 4))) {
          assertThat(rw.imageScores(e.patches(), e.images(), e.positions(), e.dim())[1])
              .isCloseTo(reweighted.score(), within(1e-4));
        }

        // a bank fitted for top-k image scores is scored that way, also after a round trip
        ImageScoring.record(bank, 5).write(dir.resolve("top5.twb"));
        MemoryBank top5 = MemoryBank.load(dir.resolve("top5.twb"));
        try (PatchCoreDetector topK =
            new PatchCoreDetector(extractor, knn, top5, DetectorOptions.DEFAULT)) {
          List<Detection> byTopK = topK.detect(test);
          double[] topKScores = new double[20];
          for (int i = 0; i < 20; i++) {
            Detection d = byTopK.get(i);
            float[] sorted = d.patchScores().clone();
            java.util.Arrays.sort(sorted);
            double mean = 0;
            for (int j = 1; j <= 5; j++) {
              mean += sorted[sorted.length - j] / 5.0;
            }
            assertThat(d.score()).as("image %d", i).isCloseTo(mean, within(1e-4));
            assertThat(d.score()).isLessThan(out.get(i).score());
            topKScores[i] = d.score();
          }
          assertThat(BinaryScores.of(topKScores, labels).auroc()).isEqualTo(1.0);
          assertThat(topK.imageScores(e.patches(), e.images(), e.positions(), e.dim())[3])
              .isCloseTo(byTopK.get(3).score(), within(1e-4));
        }
        MemoryBank badTopK =
            bank.withParams(java.util.Map.of(ImageScoring.TOP_K, ImageScoring.MAX_TOP_K + 1));
        assertThatThrownBy(() -> detector.swapBank(badTopK))
            .hasMessageContaining("image.top-k must be in [1, 64], was 65");

        MemoryBank foreign = MemoryBank.of(TestBanks.header(32), new float[32], 1);
        assertThatThrownBy(() -> detector.swapBank(foreign))
            .hasMessageContaining("was built with backbone");
        assertThat(detector.bank()).isSameAs(bank); // the refused bank did not replace the good one
      }
    }
  }
}
