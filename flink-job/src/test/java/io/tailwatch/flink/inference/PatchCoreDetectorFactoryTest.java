package io.tailwatch.flink.inference;

import static org.assertj.core.api.Assertions.assertThat;

import io.tailwatch.detector.image.FloatImage;
import io.tailwatch.detector.knn.KnnPrecision;
import io.tailwatch.detector.onnx.ComputePrecision;
import io.tailwatch.detector.scoring.Detection;
import io.tailwatch.detector.sim.ProductLineSimulator;
import io.tailwatch.detector.testing.TinyBackbone;
import io.tailwatch.flink.testing.TinyBank;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PatchCoreDetectorFactoryTest {
  @TempDir Path dir;

  /**
   * detector.precision=fp16 reaches the backbone: the provider says so and the scores stay within
   * 1% of fp32's.
   */
  @Test
  void halfPrecisionBackboneScoresLikeSinglePrecision() throws Exception {
    Path model = TinyBackbone.write(dir, "tiny.onnx");
    Path bank = dir.resolve("bank.twb");
    ProductLineSimulator line = new ProductLineSimulator(3, 64, 0.0);
    TinyBank.fit(model, bank, line);
    List<FloatImage> frames = new ArrayList<>();
    for (int i = 100; i < 108; i++) {
      frames.add(
          line.frame(
                  i,
                  ProductLineSimulator.Variant.BRUSHED,
                  i % 2 == 0 ? ProductLineSimulator.Defect.CRACK : null)
              .toFloatImage());
    }
    PatchCoreDetectorFactory fp32 =
        new PatchCoreDetectorFactory(
            model.toString(),
            bank.toString(),
            "cpu",
            1,
            null,
            false,
            KnnPrecision.FP32,
            ComputePrecision.FP32);
    PatchCoreDetectorFactory fp16 =
        new PatchCoreDetectorFactory(
            model.toString(),
            bank.toString(),
            "cpu",
            1,
            null,
            false,
            KnnPrecision.FP32,
            ComputePrecision.FP16);
    try (FrameDetector a = fp32.open();
        FrameDetector b = fp16.open()) {
      assertThat(a.executionProvider()).doesNotContain("fp16");
      assertThat(b.executionProvider()).endsWith(" fp16");
      assertThat(b.threshold()).isEqualTo(a.threshold());
      List<Detection> da = a.detect(frames);
      List<Detection> db = b.detect(frames);
      for (int i = 0; i < frames.size(); i++) {
        assertThat(db.get(i).score())
            .as("frame %d", i)
            .isCloseTo(da.get(i).score(), org.assertj.core.data.Percentage.withPercentage(1));
      }
    }
  }
}
