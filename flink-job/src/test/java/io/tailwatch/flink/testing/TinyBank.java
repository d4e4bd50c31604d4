package io.tailwatch.flink.testing;

import io.tailwatch.detector.bank.CoresetMethod;
import io.tailwatch.detector.bank.MemoryBank;
import io.tailwatch.detector.bank.PatchCoreFitter;
import io.tailwatch.detector.features.BackboneModel;
import io.tailwatch.detector.features.FeatureExtractor;
import io.tailwatch.detector.features.PatchEmbeddingSpec;
import io.tailwatch.detector.image.ImageSource;
import io.tailwatch.detector.image.Preprocessing;
import io.tailwatch.detector.knn.OnnxKnnScorer;
import io.tailwatch.detector.onnx.ExecutionProvider;
import io.tailwatch.detector.scoring.Calibrator;
import io.tailwatch.detector.scoring.DetectorOptions;
import io.tailwatch.detector.scoring.PatchCoreDetector;
import io.tailwatch.detector.sim.ProductLineSimulator;
import io.tailwatch.detector.sim.SimulatedFrame;
import io.tailwatch.detector.util.Progress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A calibrated bank for the generated tiny backbone (TinyBackbone), fitted on one simulated
 * product's frames.
 */
public final class TinyBank {
  public static final Preprocessing P32 =
      new Preprocessing(32, 0, Preprocessing.IMAGENET_MEAN, Preprocessing.IMAGENET_STD);

  private TinyBank() {}

  public static void fit(Path modelFile, Path bankFile, ProductLineSimulator line)
      throws Exception {
    BackboneModel model = BackboneModel.load(modelFile);
    PatchEmbeddingSpec spec =
        new PatchEmbeddingSpec(model.layers(List.of("feat_a", "feat_b")), 3, 36, 32);
    List<ImageSource> train = new ArrayList<>();
    List<ImageSource> holdout = new ArrayList<>();
    for (int i = 0; i < 60; i++) {
      SimulatedFrame f = line.frame(i, ProductLineSimulator.Variant.BRUSHED, null);
      (i < 48 ? train : holdout).add(ImageSource.of("n" + i, f.toFloatImage()));
    }
    try (FeatureExtractor extractor = FeatureExtractor.open(model, spec, ExecutionProvider.CPU, 1);
        OnnxKnnScorer knn = OnnxKnnScorer.open(ExecutionProvider.CPU, 1)) {
      PatchCoreFitter fitter =
          new PatchCoreFitter(
              extractor,
              new PatchCoreFitter.Options(0.25, CoresetMethod.APPROXIMATE, 128, 1, 8, P32));
      MemoryBank bank = fitter.build(fitter.embed(train, Progress.NONE), "it-bank", Progress.NONE);
      try (PatchCoreDetector detector =
          new PatchCoreDetector(extractor, knn, bank, DetectorOptions.DEFAULT)) {
        Calibrator.calibrate(detector, holdout, 0.01, 8, Progress.NONE).write(bankFile);
      }
    }
  }
}
