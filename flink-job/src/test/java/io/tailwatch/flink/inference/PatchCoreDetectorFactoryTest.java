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
    PatchCoreDetectorFactory fp32 = factory(model, bank, 0);
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

  /**
   * detector.ivf-probes reaches the scorer: a bank with an IVF index searched through every list
   * scores exactly as without one, and through one list never below it (an approximate neighbour is
   * a farther one).
   */
  @Test
  void ivfProbesSearchAnIndexedBankThroughItsLists() throws Exception {
    Path model = TinyBackbone.write(dir, "tiny.onnx");
    Path plain = dir.resolve("bank.twb");
    ProductLineSimulator line = new ProductLineSimulator(3, 64, 0.0);
    TinyBank.fit(model, plain, line);
    Path indexed = dir.resolve("ivf.twb");
    io.tailwatch.detector.bank.MemoryBank bank = io.tailwatch.detector.bank.MemoryBank.load(plain);
    int lists = 8;
    try (var fp32 =
        io.tailwatch.detector.knn.OnnxKnnScorer.open(
            io.tailwatch.detector.onnx.ExecutionProvider.CPU, 1)) {
      io.tailwatch.detector.knn.IvfIndex.build(
              bank, lists, 5, 1, fp32, io.tailwatch.detector.util.Progress.NONE)
          .write(indexed);
    }
    List<FloatImage> frames = new ArrayList<>();
    for (int i = 100; i < 106; i++) {
      frames.add(
          line.frame(
                  i,
                  ProductLineSimulator.Variant.BRUSHED,
                  i % 2 == 0 ? ProductLineSimulator.Defect.CRACK : null)
              .toFloatImage());
    }
    try (FrameDetector exact = factory(model, plain, 0).open();
        FrameDetector all = factory(model, indexed, lists).open();
        FrameDetector one = factory(model, indexed, 1).open()) {
      List<Detection> e = exact.detect(frames);
      List<Detection> a = all.detect(frames);
      List<Detection> o = one.detect(frames);
      for (int i = 0; i < frames.size(); i++) {
        assertThat(a.get(i).score())
            .as("frame %d, every list probed", i)
            .isCloseTo(e.get(i).score(), org.assertj.core.data.Percentage.withPercentage(0.01));
        assertThat(o.get(i).score())
            .as("frame %d, one list probed", i)
            .isGreaterThanOrEqualTo(e.get(i).score() * (1 - 1e-4));
      }
    }
  }

  static PatchCoreDetectorFactory factory(Path model, Path bank, int probes) {
    return new PatchCoreDetectorFactory(
        model.toString(),
        bank.toString(),
        "cpu",
        1,
        null,
        false,
        KnnPrecision.FP32,
        ComputePrecision.FP32,
        probes);
  }

  /**
   * A bank that records a tiling is scored on tiles by the job: one detection per frame, the
   * frame's score the strongest tile's, the map in the frame's network geometry, bank-update
   * features kept.
   */
  @Test
  void aBankFittedOnTilesIsScoredOnTiles() throws Exception {
    Path model = TinyBackbone.write(dir, "tiny.onnx");
    Path whole = dir.resolve("bank.twb");
    ProductLineSimulator line = new ProductLineSimulator(3, 64, 0.0);
    TinyBank.fit(model, whole, line);
    Path tiled = dir.resolve("tiled.twb");
    io.tailwatch.detector.scoring.TiledScoring.record(
            io.tailwatch.detector.bank.MemoryBank.load(whole),
            new io.tailwatch.detector.image.Tiling(32, 32))
        .write(tiled);
    FloatImage frame =
        line.frame(100, ProductLineSimulator.Variant.BRUSHED, ProductLineSimulator.Defect.CRACK)
            .toFloatImage();
    PatchCoreDetectorFactory factory =
        new PatchCoreDetectorFactory(
            model.toString(),
            tiled.toString(),
            "cpu",
            1,
            1.0,
            false,
            KnnPrecision.FP32,
            ComputePrecision.FP32);
    try (FrameDetector d = factory.open()) {
      List<io.tailwatch.detector.scoring.Detection> out = d.detect(List.of(frame, frame));
      assertThat(out).hasSize(2);
      // the 64-pixel frame is four 32-pixel tiles, each scored alone: the frame takes the maximum
      double best = Double.NEGATIVE_INFINITY;
      try (FrameDetector plain =
          new PatchCoreDetectorFactory(
                  model.toString(),
                  whole.toString(),
                  "cpu",
                  1,
                  1.0,
                  false,
                  KnnPrecision.FP32,
                  ComputePrecision.FP32)
              .open()) {
        for (int y = 0; y < 64; y += 32) {
          for (int x = 0; x < 64; x += 32) {
            best =
                Math.max(
                    best,
                    plain
                        .detect(
                            List.of(
                                io.tailwatch.detector.image.Tiling.crop(
                                    frame,
                                    new io.tailwatch.detector.image.Tiling.Window(x, y, 32, 32))))
                        .get(0)
                        .score());
          }
        }
      }
      assertThat(out.get(0).score()).isCloseTo(best, org.assertj.core.api.Assertions.within(1e-4));
      assertThat(out.get(0).mapSize()).isEqualTo(32);
      assertThat(out.get(0).map()).hasSize(32 * 32);
      assertThat(out.get(0).topPatches(3)).isNotNull();
    }
  }
}
