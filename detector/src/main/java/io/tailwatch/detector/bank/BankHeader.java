package io.tailwatch.detector.bank;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.tailwatch.detector.features.BackboneModel;
import io.tailwatch.detector.features.FeatureLayer;
import io.tailwatch.detector.features.PatchEmbeddingSpec;
import io.tailwatch.detector.image.Preprocessing;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * Everything needed to use a bank correctly: what produced its vectors (backbone identity, layers,
 * dims, preprocessing), how it was built (method + parameters), and the checksum of the body.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record BankHeader(
    int formatVersion,
    String bankVersion,
    int dimension,
    long count,
    String bodySha256,
    Backbone backbone,
    PreprocessingInfo preprocessing,
    Instant createdAt,
    String method,
    Map<String, Object> params,
    Map<String, Double> calibration,
    String patchWeights,
    IndexInfo index) {

  public static final int FORMAT_VERSION = 1;

  /**
   * {@link #patchWeights} of a bank whose nearest-neighbour distances are multiplied by a
   * per-vector weight.
   */
  public static final String LOF_WEIGHTS = "lof";

  /** A bank without per-vector weights. */
  public BankHeader(
      int formatVersion,
      String bankVersion,
      int dimension,
      long count,
      String bodySha256,
      Backbone backbone,
      PreprocessingInfo preprocessing,
      Instant createdAt,
      String method,
      Map<String, Object> params,
      Map<String, Double> calibration) {
    this(
        formatVersion,
        bankVersion,
        dimension,
        count,
        bodySha256,
        backbone,
        preprocessing,
        createdAt,
        method,
        params,
        calibration,
        (String) null);
  }

  /** A header of a bank without a search index. */
  public BankHeader(
      int formatVersion,
      String bankVersion,
      int dimension,
      long count,
      String bodySha256,
      Backbone backbone,
      PreprocessingInfo preprocessing,
      Instant createdAt,
      String method,
      Map<String, Object> params,
      Map<String, Double> calibration,
      String patchWeights) {
    this(
        formatVersion,
        bankVersion,
        dimension,
        count,
        bodySha256,
        backbone,
        preprocessing,
        createdAt,
        method,
        params,
        calibration,
        patchWeights,
        null);
  }

  /**
   * The approximate-search index stored after the vectors (and weights): {@code type} "ivf" with
   * {@code lists} inverted lists (centroids and list offsets, see {@link MemoryBank}).
   */
  public record IndexInfo(String type, int lists) {
    public static final String IVF = "ivf";
  }

  /** Whether the body carries an IVF index. */
  public boolean hasIvf() {
    return index != null && IndexInfo.IVF.equals(index.type());
  }

  public boolean weighted() {
    return patchWeights != null;
  }

  /** What produced the vectors; a bank only fits the exact same. */
  /**
   * @param sha256 the model file's SHA-256
   * @param graphSha256 what the model computes ({@link BackboneModel#graphSha256}); null in banks
   *     written before it was recorded
   */
  public record Backbone(
      String id,
      String name,
      String sha256,
      List<String> layers,
      int pretrainDim,
      int targetDim,
      int patchSize,
      int gridHeight,
      int gridWidth,
      String graphSha256) {
    /** A backbone known by its file hash only (banks written before the graph hash). */
    public Backbone(
        String id,
        String name,
        String sha256,
        List<String> layers,
        int pretrainDim,
        int targetDim,
        int patchSize,
        int gridHeight,
        int gridWidth) {
      this(
          id, name, sha256, layers, pretrainDim, targetDim, patchSize, gridHeight, gridWidth, null);
    }

    public static Backbone of(BackboneModel model, PatchEmbeddingSpec spec) {
      return new Backbone(
          model.id(),
          model.name(),
          model.sha256(),
          spec.layers().stream().map(FeatureLayer::name).toList(),
          spec.pretrainDim(),
          spec.targetDim(),
          spec.patchSize(),
          spec.gridHeight(),
          spec.gridWidth(),
          model.graphSha256());
    }

    /**
     * Whether vectors of {@code other} can be compared with this one's: the same file, or the same
     * graph and weights.
     */
    public boolean sameModel(Backbone other) {
      return sha256.equals(other.sha256)
          || (graphSha256 != null && graphSha256.equals(other.graphSha256));
    }
  }

  public record PreprocessingInfo(int resize, int crop, float[] mean, float[] std) {
    public static PreprocessingInfo of(Preprocessing p) {
      return new PreprocessingInfo(p.resize(), p.crop(), p.mean(), p.std());
    }

    public Preprocessing toPreprocessing() {
      return new Preprocessing(resize, crop, mean, std);
    }
  }

  public BankHeader withBody(long count, String sha256) {
    return new BankHeader(
        formatVersion,
        bankVersion,
        dimension,
        count,
        sha256,
        backbone,
        preprocessing,
        createdAt,
        method,
        params,
        calibration,
        patchWeights,
        index);
  }

  /** The same header with other method parameters (e.g. the tiling the bank was fitted on). */
  public BankHeader withParams(Map<String, Object> values) {
    return new BankHeader(
        formatVersion,
        bankVersion,
        dimension,
        count,
        bodySha256,
        backbone,
        preprocessing,
        createdAt,
        method,
        values,
        calibration,
        patchWeights,
        index);
  }

  /** The same header under another version name (the body and its checksum are unchanged). */
  public BankHeader withBankVersion(String version) {
    return new BankHeader(
        formatVersion,
        version,
        dimension,
        count,
        bodySha256,
        backbone,
        preprocessing,
        createdAt,
        method,
        params,
        calibration,
        patchWeights,
        index);
  }

  public BankHeader withCalibration(Map<String, Double> values) {
    return new BankHeader(
        formatVersion,
        bankVersion,
        dimension,
        count,
        bodySha256,
        backbone,
        preprocessing,
        createdAt,
        method,
        params,
        values,
        patchWeights,
        index);
  }

  public BankHeader withPatchWeights(String kind) {
    return new BankHeader(
        formatVersion,
        bankVersion,
        dimension,
        count,
        bodySha256,
        backbone,
        preprocessing,
        createdAt,
        method,
        params,
        calibration,
        kind,
        index);
  }

  public BankHeader withIndex(IndexInfo info) {
    return new BankHeader(
        formatVersion,
        bankVersion,
        dimension,
        count,
        bodySha256,
        backbone,
        preprocessing,
        createdAt,
        method,
        params,
        calibration,
        patchWeights,
        info);
  }
}
