package io.tailwatch.tools.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import io.tailwatch.detector.hyperspectral.AutoencoderDetector;
import io.tailwatch.detector.hyperspectral.ImportanceWeights;
import io.tailwatch.detector.hyperspectral.LossAmplification;
import io.tailwatch.detector.hyperspectral.SpectralCube;
import io.tailwatch.detector.metrics.BinaryScores;
import io.tailwatch.detector.onnx.ExecutionProvider;
import io.tailwatch.detector.util.Progress;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class AutoencoderTrainerTest {
  static {
    System.setProperty("ai.djl.offline", "true");
  }

  @ParameterizedTest
  @EnumSource(LossAmplification.Mode.class)
  void djlAmplificationMatchesValueAndGradient(LossAmplification.Mode mode) {
    LossAmplification a =
        mode == LossAmplification.Mode.LOG_BARRIER
            ? new LossAmplification(mode, 2.0)
            : LossAmplification.of(mode);
    float[] losses = {0.01f, 0.2f, 0.7f, 1.3f};
    Engine engine = Engine.getEngine("PyTorch");
    try (NDManager m = engine.newBaseManager()) {
      NDArray l = m.create(losses);
      l.setRequiresGradient(true);
      float[] values;
      try (GradientCollector gc = engine.newGradientCollector()) {
        NDArray out = AutoencoderTrainer.amplify(l, a);
        values = out.toFloatArray();
        gc.backward(out.sum());
      }
      float[] grads = l.getGradient().toFloatArray();
      for (int i = 0; i < losses.length; i++) {
        assertThat((double) values[i])
            .as("%s value at %s", mode, losses[i])
            .isCloseTo(
                a.apply(losses[i]), within(1e-5 * Math.max(1, Math.abs(a.apply(losses[i])))));
        assertThat((double) grads[i])
            .as("%s gradient at %s", mode, losses[i])
            .isCloseTo(
                a.derivative(losses[i]),
                within(1e-4 * Math.max(1, Math.abs(a.derivative(losses[i])))));
      }
    }
  }

  /** Background of two endmembers, a 4x4 block of a third material. */
  static SpectralCube scene(boolean[] mask) {
    int h = 24;
    int w = 24;
    int b = 16;
    SplittableRandom r = new SplittableRandom(3);
    float[] v = new float[h * w * b];
    for (int p = 0; p < h * w; p++) {
      boolean target = p / w >= 5 && p / w < 9 && p % w >= 10 && p % w < 14;
      mask[p] = target;
      double a = r.nextDouble();
      for (int k = 0; k < b; k++) {
        double bg = a * (100 + 8 * k) + (1 - a) * (260 - 9 * k);
        double t = 180 + 60 * Math.cos(k / 2.0);
        v[p * b + k] = (float) ((target ? t : bg) + r.nextGaussian());
      }
    }
    return new SpectralCube(h, w, b, v);
  }

  @Test
  void trainedAutoencoderExportsToOnnxExactlyAndFindsTheTarget() throws Exception {
    boolean[] mask = new boolean[24 * 24];
    SpectralCube cube = scene(mask);
    AutoencoderTrainer.Options options =
        new AutoencoderTrainer.Options(
            new int[] {12, 3, 12},
            30,
            64,
            3e-3,
            1,
            LossAmplification.of(LossAmplification.Mode.POWER),
            ImportanceWeights.Options.defaults(),
            2);
    AutoencoderTrainer.Trained trained =
        AutoencoderTrainer.train(
            cube.values(), cube.pixels(), cube.bands(), options, Progress.NONE);
    assertThat(trained.exportMaxAbsDiff()).isLessThan(1e-4);
    assertThat(trained.epochLoss()[29]).isLessThan(trained.epochLoss()[0]);
    try (AutoencoderDetector onnx =
        AutoencoderDetector.open(
            trained.model().toOnnx().toByteArray(), ExecutionProvider.CPU, 1)) {
      assertThat(onnx.metadata())
          .containsEntry("train.variant", "AE+LAMP+IW")
          .containsEntry("train.lamp", "power gamma=0.5")
          .containsKey("train.iw");
      float[] scores = onnx.score(cube);
      double[] s = new double[scores.length];
      for (int i = 0; i < s.length; i++) {
        s[i] = scores[i];
      }
      assertThat(BinaryScores.of(s, mask).auroc()).isGreaterThan(0.95);
    }
  }

  @Test
  void sameSeedSameModel() {
    boolean[] mask = new boolean[24 * 24];
    SpectralCube cube = scene(mask);
    AutoencoderTrainer.Options options =
        new AutoencoderTrainer.Options(
            new int[] {8, 4, 8}, 3, 64, 1e-3, 5, LossAmplification.NONE, null, 0);
    float[] a =
        AutoencoderTrainer.train(cube.values(), cube.pixels(), cube.bands(), options, Progress.NONE)
            .model()
            .layers()
            .get(0)
            .weight();
    float[] b =
        AutoencoderTrainer.train(cube.values(), cube.pixels(), cube.bands(), options, Progress.NONE)
            .model()
            .layers()
            .get(0)
            .weight();
    assertThat(a).containsExactly(b);
  }
}
