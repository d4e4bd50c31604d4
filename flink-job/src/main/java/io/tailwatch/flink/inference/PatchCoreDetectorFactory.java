package io.tailwatch.flink.inference;

import io.tailwatch.detector.bank.BankFormatException;
import io.tailwatch.detector.bank.BankHeader;
import io.tailwatch.detector.bank.MemoryBank;
import io.tailwatch.detector.features.BackboneModel;
import io.tailwatch.detector.features.FeatureExtractor;
import io.tailwatch.detector.features.PatchEmbeddingSpec;
import io.tailwatch.detector.image.FloatImage;
import io.tailwatch.detector.knn.KnnPrecision;
import io.tailwatch.detector.knn.OnnxKnnScorer;
import io.tailwatch.detector.onnx.ComputePrecision;
import io.tailwatch.detector.onnx.ExecutionProvider;
import io.tailwatch.detector.scoring.Detection;
import io.tailwatch.detector.scoring.DetectorOptions;
import io.tailwatch.detector.scoring.PatchCoreDetector;
import io.tailwatch.detector.scoring.Reweighting;
import io.tailwatch.detector.scoring.ScoreCalibration;
import io.tailwatch.detector.scoring.TiledScoring;
import java.nio.file.Path;
import java.util.List;

/**
 * A PatchCore detector from a backbone file and a bank file. The threshold is the configured one,
 * else the bank's calibrated one; a bank with neither is refused at open.
 */
public record PatchCoreDetectorFactory(
    String backbonePath,
    String bankPath,
    String device,
    int threads,
    Double threshold,
    boolean reweight,
    KnnPrecision knnPrecision,
    ComputePrecision precision,
    int ivfProbes)
    implements DetectorFactory {

  public PatchCoreDetectorFactory(
      String backbonePath,
      String bankPath,
      String device,
      int threads,
      Double threshold,
      boolean reweight,
      KnnPrecision knnPrecision,
      ComputePrecision precision) {
    this(backbonePath, bankPath, device, threads, threshold, reweight, knnPrecision, precision, 0);
  }

  public PatchCoreDetectorFactory(
      String backbonePath,
      String bankPath,
      String device,
      int threads,
      Double threshold,
      boolean reweight) {
    this(
        backbonePath,
        bankPath,
        device,
        threads,
        threshold,
        reweight,
        KnnPrecision.FP32,
        ComputePrecision.FP32);
  }

  @Override
  public FrameDetector open() throws Exception {
    MemoryBank bank = MemoryBank.load(Path.of(bankPath));
    BankHeader.Backbone made = bank.header().backbone();
    BackboneModel model = BackboneModel.load(Path.of(backbonePath));
    PatchEmbeddingSpec spec =
        new PatchEmbeddingSpec(
            model.layers(made.layers()), made.patchSize(), made.pretrainDim(), made.targetDim());
    ScoreCalibration calibration = ScoreCalibration.fromMap(bank.header().calibration());
    double t;
    if (threshold != null) {
      t = threshold;
    } else if (calibration != null) {
      t = calibration.threshold();
    } else {
      throw new IllegalArgumentException(
          "detector.threshold: not set, and bank "
              + bankPath
              + " has no calibrated threshold (fit it with --calibration-holdout > 0)");
    }
    ExecutionProvider provider = ExecutionProvider.parse(device);
    FeatureExtractor extractor = FeatureExtractor.open(model, spec, provider, threads, precision);
    OnnxKnnScorer knn = null;
    try {
      knn = OnnxKnnScorer.open(provider, threads, knnPrecision).ivfProbes(ivfProbes);
      PatchCoreDetector detector =
          new PatchCoreDetector(
              extractor,
              knn,
              bank,
              new DetectorOptions(reweight, Reweighting.DEFAULT_NEIGHBOURS, 4.0));
      return new Opened(detector, knn, threshold, t, calibration, model.id());
    } catch (Exception | Error e) {
      extractor.close();
      if (knn != null) {
        knn.close();
      }
      throw e;
    }
  }

  private static final class Opened implements FrameDetector {
    private final PatchCoreDetector detector;
    private final OnnxKnnScorer knn;
    private final Double fixedThreshold;
    private final String modelVersion;
    private double threshold;
    private ScoreCalibration calibration;

    Opened(
        PatchCoreDetector detector,
        OnnxKnnScorer knn,
        Double fixedThreshold,
        double threshold,
        ScoreCalibration calibration,
        String modelVersion) {
      this.detector = detector;
      this.knn = knn;
      this.fixedThreshold = fixedThreshold;
      this.threshold = threshold;
      this.calibration = calibration;
      this.modelVersion = modelVersion;
    }

    @Override
    public List<Detection> detect(List<FloatImage> images) throws Exception {
      // a bank fitted on tiles is scored on tiles (the bank records its tiling): one detection
      // per frame all the same, regions and heatmaps in frame pixels
      return TiledScoring.detect(
          detector, TiledScoring.of(detector.bank()), detector.preprocessing(), images);
    }

    @Override
    public double threshold() {
      return threshold;
    }

    @Override
    public double calibrated(double score) {
      return calibration == null ? Double.NaN : calibration.calibrated(score);
    }

    @Override
    public String executionProvider() {
      FeatureExtractor e = detector.extractor();
      return e.provider() + (e.precision() == ComputePrecision.FP32 ? "" : " fp16");
    }

    @Override
    public boolean fellBackToCpu() {
      return detector.extractor().provider().fellBack();
    }

    @Override
    public String modelVersion() {
      return modelVersion;
    }

    @Override
    public String bankVersion() {
      return detector.bank().header().bankVersion();
    }

    @Override
    public void swapBank(Path path, String expectedSha256) throws Exception {
      MemoryBank bank = MemoryBank.load(path, expectedSha256); // header's and announced checksum
      ScoreCalibration next = ScoreCalibration.fromMap(bank.header().calibration());
      if (fixedThreshold == null && next == null) {
        throw new BankFormatException(
            path + ": no calibrated threshold and detector.threshold is not set");
      }
      detector.swapBank(bank); // checks backbone and preprocessing; the old bank stays on failure
      calibration = next;
      threshold = fixedThreshold != null ? fixedThreshold : next.threshold();
    }

    @Override
    public void close() throws Exception {
      try {
        detector.close();
      } finally {
        detector.extractor().close();
        knn.close();
      }
    }
  }
}
