package io.tailwatch.detector.scoring;

import ai.onnxruntime.OrtException;
import io.tailwatch.detector.bank.BankFormatException;
import io.tailwatch.detector.bank.MemoryBank;
import io.tailwatch.detector.features.FeatureExtractor;
import io.tailwatch.detector.features.PatchFeatures;
import io.tailwatch.detector.image.FloatImage;
import io.tailwatch.detector.image.Preprocessing;
import io.tailwatch.detector.knn.KnnResult;
import io.tailwatch.detector.knn.OnnxKnnScorer;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

/**
 * PatchCore inference: frames -> input geometry -> backbone + patch embedding -> 1-NN against the
 * bank -> patch scores, image score, anomaly map. The bank is replaceable between calls ({@link
 * #swapBank}); a call always uses one bank from start to end. Not thread safe: one instance per
 * thread / task slot.
 */
public final class PatchCoreDetector implements AutoCloseable {
  private final FeatureExtractor extractor;
  private final OnnxKnnScorer knn;
  private final DetectorOptions options;
  private Preprocessing preprocessing;
  private OnnxKnnScorer.Index index;
  private int imageTopK; // the bank's (ImageScoring): its threshold was calibrated that way

  public PatchCoreDetector(
      FeatureExtractor extractor, OnnxKnnScorer knn, MemoryBank bank, DetectorOptions options)
      throws OrtException, BankFormatException {
    this.extractor = extractor;
    this.knn = knn;
    this.options = options;
    swapBank(bank);
  }

  /** Validates the bank against the backbone, prepares it, and retires the previous one. */
  public void swapBank(MemoryBank bank) throws OrtException, BankFormatException {
    bank.requireCompatible(extractor.backbone(), extractor.spec());
    Preprocessing p = bank.header().preprocessing().toPreprocessing();
    if (p.inputSize() != extractor.inputSize()) {
      throw new BankFormatException(
          "bank preprocessing produces "
              + p.inputSize()
              + " px inputs, the backbone takes "
              + extractor.inputSize());
    }
    int topK;
    try {
      topK = ImageScoring.topK(bank);
    } catch (IllegalArgumentException e) {
      throw new BankFormatException(e.getMessage());
    }
    OnnxKnnScorer.Index next = knn.index(bank);
    OnnxKnnScorer.Index old = index;
    index = next;
    preprocessing = p;
    imageTopK = topK;
    if (old != null) {
      old.close();
    }
  }

  public MemoryBank bank() {
    return index.bank();
  }

  public Preprocessing preprocessing() {
    return preprocessing;
  }

  public FeatureExtractor extractor() {
    return extractor;
  }

  public List<Detection> detect(List<FloatImage> images) throws OrtException {
    int n = images.size();
    if (n == 0) {
      return List.of();
    }
    int s = preprocessing.inputSize();
    float[] input = new float[n * 3 * s * s];
    Preprocessing p = preprocessing;
    IntStream.range(0, n)
        .parallel()
        .forEach(i -> p.normalizeInto(p.geometry(images.get(i)), input, i * 3 * s * s));
    return detectTensor(input, n);
  }

  /**
   * Image scores of images whose patch vectors are already embedded ({@code images x positions x
   * dim}, as {@code PatchCoreFitter.embed} lays them out), exactly as {@link #detect} scores them:
   * the largest (SoftPatch-weighted) patch distance, or the mean of the bank's top k ({@link
   * ImageScoring}), reweighted if enabled. Cross-fitted calibration scores held-out folds this way
   * without running the backbone again.
   */
  public double[] imageScores(float[] patches, int images, int positions, int dim)
      throws OrtException {
    if ((long) images * positions * dim != patches.length) {
      throw new IllegalArgumentException(
          patches.length + " values are not " + images + " x " + positions + " x " + dim);
    }
    KnnResult nn = knn.search(index, patches, images * positions);
    applyWeights(nn);
    double[] out = new double[images];
    for (int i = 0; i < images; i++) {
      out[i] = imageScore(nn, patches, i, positions, dim);
    }
    return out;
  }

  /** SoftPatch: distance x weight of the matched vector (squared distances, hence w^2). */
  private void applyWeights(KnnResult nn) {
    float[] weights = index.bank().weights();
    if (weights == null) {
      return;
    }
    float[] d = nn.distances();
    int[] at = nn.indices();
    for (int q = 0; q < d.length; q++) {
      d[q] *= weights[at[q]] * weights[at[q]];
    }
  }

  private double imageScore(KnnResult nn, float[] patches, int i, int positions, int dim) {
    float[] d = nn.distances();
    int base = i * positions;
    int arg = base;
    for (int j = base + 1; j < base + positions; j++) {
      if (d[j] > d[arg]) {
        arg = j;
      }
    }
    double score = imageTopK == 1 ? d[arg] : ImageScoring.topKMean(d, base, positions, imageTopK);
    if (options.reweight()) {
      score *=
          Reweighting.weight(
              index.bank(), patches, arg * dim, nn.indices()[arg], options.reweightNeighbours());
    }
    return score;
  }

  /** For callers that already hold normalised input tensors. */
  public List<Detection> detectTensor(float[] input, int n) throws OrtException {
    PatchFeatures f = extractor.extract(input, n);
    int positions = f.positions();
    KnnResult nn = knn.search(index, f.patches(), n * positions);
    applyWeights(nn);
    int s = preprocessing.inputSize();
    Detection[] out = new Detection[n];
    IntStream.range(0, n)
        .parallel()
        .forEach(
            i -> {
              float[] patchScores = new float[positions];
              System.arraycopy(nn.distances(), i * positions, patchScores, 0, positions);
              double score = imageScore(nn, f.patches(), i, positions, f.dim());
              float[] map =
                  AnomalyMaps.fromPatchScores(
                      patchScores, f.gridHeight(), f.gridWidth(), s, options.mapSigma());
              out[i] =
                  new Detection(
                      score,
                      patchScores,
                      f.gridHeight(),
                      f.gridWidth(),
                      map,
                      s,
                      f.patches(),
                      f.offset(i),
                      f.dim());
            });
    return new ArrayList<>(List.of(out));
  }

  @Override
  public void close() throws OrtException {
    if (index != null) {
      index.close();
    }
  }
}
