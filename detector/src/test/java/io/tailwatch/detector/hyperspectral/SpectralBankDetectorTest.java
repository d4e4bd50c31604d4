package io.tailwatch.detector.hyperspectral;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.tailwatch.detector.knn.OnnxKnnScorer;
import io.tailwatch.detector.metrics.BinaryScores;
import io.tailwatch.detector.onnx.ExecutionProvider;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SpectralBankDetectorTest {
  /**
   * Background mixed from two endmembers; a 3x3 block of a third material; returns cube and mask.
   */
  static HyperspectralScene syntheticScene(long seed) {
    int h = 30;
    int w = 30;
    int b = 12;
    SplittableRandom r = new SplittableRandom(seed);
    float[] e1 = new float[b];
    float[] e2 = new float[b];
    float[] e3 = new float[b];
    for (int k = 0; k < b; k++) {
      e1[k] = 100 + 10 * k;
      e2[k] = 300 - 15 * k;
      e3[k] = 200 + 40 * (float) Math.sin(k);
    }
    float[] v = new float[h * w * b];
    boolean[] mask = new boolean[h * w];
    for (int p = 0; p < h * w; p++) {
      int line = p / w;
      int sample = p % w;
      boolean target = line >= 10 && line < 13 && sample >= 20 && sample < 23;
      mask[p] = target;
      double a = r.nextDouble();
      for (int k = 0; k < b; k++) {
        double bg = a * e1[k] + (1 - a) * e2[k];
        v[p * b + k] = (float) ((target ? 0.5 * bg + 0.5 * e3[k] : bg) + r.nextGaussian() * 2);
      }
    }
    return new HyperspectralScene("synthetic", new SpectralCube(h, w, b, v), mask);
  }

  static double auroc(float[] scores, boolean[] mask) {
    double[] s = new double[scores.length];
    for (int i = 0; i < s.length; i++) {
      s[i] = scores[i];
    }
    return BinaryScores.of(s, mask).auroc();
  }

  @Test
  void pcaFeaturesFindTheDominantAxis() {
    // points along (1, 1, 0) with small noise: the first PCA component carries almost all the
    // variance
    SplittableRandom r = new SplittableRandom(1);
    float[] v = new float[100 * 3];
    for (int p = 0; p < 100; p++) {
      double t = r.nextGaussian() * 10;
      v[p * 3] = (float) (t + r.nextGaussian() * 0.01);
      v[p * 3 + 1] = (float) (t + r.nextGaussian() * 0.01);
      v[p * 3 + 2] = (float) (r.nextGaussian() * 0.01);
    }
    SpectralCube cube = new SpectralCube(10, 10, 3, v);
    SpectralFeatures f =
        SpectralFeatures.fit(
            new SpectralFeatures.Options(
                1, SpectralFeatures.Normalisation.NONE, SpectralFeatures.Projection.PCA, 1, 1),
            cube);
    float[] x = f.transform(cube);
    for (int p = 0; p < 100; p++) {
      // |projection onto (1, 1) / sqrt 2 of the centred point|; the component's sign is arbitrary
      assertThat((double) Math.abs(x[p]))
          .isCloseTo(Math.abs((v[p * 3] + v[p * 3 + 1] - meanSum(v)) / Math.sqrt(2)), within(0.05));
    }
  }

  private static double meanSum(float[] v) {
    double s = 0;
    for (int p = 0; p < 100; p++) {
      s += v[p * 3] + v[p * 3 + 1];
    }
    return s / 100;
  }

  @Test
  void crossFittedBankAndRxFindTheImplantedTarget() throws Exception {
    HyperspectralScene scene = syntheticScene(5);
    try (OnnxKnnScorer scorer = OnnxKnnScorer.open(ExecutionProvider.CPU, 1)) {
      SpectralBankDetector.Options options =
          new SpectralBankDetector.Options(
              new SpectralFeatures.Options(
                  1,
                  SpectralFeatures.Normalisation.STANDARDISE,
                  SpectralFeatures.Projection.PCA,
                  4,
                  1),
              128,
              SpectralBankDetector.Selection.RANDOM,
              1);
      float[] bank = SpectralBankDetector.crossFitted(scene.cube(), options, scorer);
      assertThat(auroc(bank, scene.anomalous())).isGreaterThan(0.97);
    }
    float[] rx = RxDetector.fit(scene.cube(), 0).score(scene.cube());
    assertThat(auroc(rx, scene.anomalous())).isGreaterThan(0.97);
  }

  @Test
  void bankFittedOnCleanReferenceScoresItsOwnPixelsZeroAndTargetsHigh() throws Exception {
    HyperspectralScene scene = syntheticScene(8);
    HyperspectralScene reference = syntheticScene(9);
    // clean reference: drop the target block by refitting on a cube with target pixels replaced by
    // a neighbour
    float[] clean = reference.cube().values().clone();
    int b = reference.cube().bands();
    for (int p = 0; p < reference.cube().pixels(); p++) {
      if (reference.anomalous()[p]) {
        System.arraycopy(clean, (p - 5) * b, clean, p * b, b);
      }
    }
    SpectralCube ref = new SpectralCube(30, 30, b, clean);
    try (OnnxKnnScorer scorer = OnnxKnnScorer.open(ExecutionProvider.CPU, 1);
        SpectralBankDetector detector =
            SpectralBankDetector.fit(
                new SpectralBankDetector.Options(
                    new SpectralFeatures.Options(
                        3,
                        SpectralFeatures.Normalisation.STANDARDISE,
                        SpectralFeatures.Projection.RANDOM,
                        8,
                        1),
                    200,
                    SpectralBankDetector.Selection.CORESET,
                    1),
                scorer,
                ref)) {
      assertThat(detector.bankCount()).isEqualTo(200);
      assertThat(auroc(detector.score(scene.cube()), scene.anomalous())).isGreaterThan(0.97);
      float[] self = detector.score(ref);
      int zeros = 0;
      for (float s : self) {
        zeros += s < 1e-3 ? 1 : 0;
      }
      assertThat(zeros).as("bank members score ~0 against themselves").isGreaterThanOrEqualTo(150);
    }
  }
}
