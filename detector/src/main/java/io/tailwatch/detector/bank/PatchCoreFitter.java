package io.tailwatch.detector.bank;

import ai.onnxruntime.OrtException;
import io.tailwatch.detector.features.FeatureExtractor;
import io.tailwatch.detector.features.PatchFeatures;
import io.tailwatch.detector.image.FloatImage;
import io.tailwatch.detector.image.ImageDecodeException;
import io.tailwatch.detector.image.ImageSource;
import io.tailwatch.detector.image.Preprocessing;
import io.tailwatch.detector.util.Progress;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Builds a PatchCore memory bank from normal images: embed every patch, subsample by coreset. */
public final class PatchCoreFitter {
  private static final Logger LOG = LoggerFactory.getLogger(PatchCoreFitter.class);

  /**
   * @param coresetRatio fraction of patches kept
   * @param projectionDim projection for the approximate coreset (ALGORITHMS.md: 128)
   */
  public record Options(
      double coresetRatio,
      CoresetMethod method,
      int projectionDim,
      long seed,
      int batchSize,
      Preprocessing preprocessing) {
    public static final Options DEFAULT =
        new Options(0.1, CoresetMethod.APPROXIMATE, 128, 42L, 16, Preprocessing.DEFAULT);

    public Options {
      GreedyCoreset.count(1, coresetRatio); // validates the ratio
      if (batchSize <= 0) {
        throw new IllegalArgumentException("batch size must be positive, was " + batchSize);
      }
      if (projectionDim <= 0) {
        throw new IllegalArgumentException("projection dim must be positive, was " + projectionDim);
      }
    }

    public Options withCoreset(CoresetMethod m, double ratio) {
      return new Options(ratio, m, projectionDim, seed, batchSize, preprocessing);
    }
  }

  /**
   * Patch vectors of a set of images, ready for subsampling, and each image's global embedding (the
   * pooled last feature map; {@code globalDim} 0 and {@code global} null when the backbone has
   * none).
   */
  public record Embedded(
      float[] patches, int images, int positions, int dim, float[] global, int globalDim) {
    public int count() {
      return images * positions;
    }

    /** The patches of the given images, in that order (global embeddings kept alongside). */
    public Embedded select(int[] imageIndices) {
      int per = positions * dim;
      float[] p = new float[imageIndices.length * per];
      float[] g = global == null ? null : new float[imageIndices.length * globalDim];
      for (int i = 0; i < imageIndices.length; i++) {
        System.arraycopy(patches, imageIndices[i] * per, p, i * per, per);
        if (g != null) {
          System.arraycopy(global, imageIndices[i] * globalDim, g, i * globalDim, globalDim);
        }
      }
      return new Embedded(p, imageIndices.length, positions, dim, g, globalDim);
    }
  }

  /** Timings and sizes of a fit, for reports. */
  public record Report(
      int images, long patches, int bankSize, double embedSeconds, double coresetSeconds) {}

  private final FeatureExtractor extractor;
  private final Options options;
  private final NearestCentres bulk;

  /** A fitter whose coreset runs its distance passes in plain Java (slow for large sets; tests). */
  public PatchCoreFitter(FeatureExtractor extractor, Options options) {
    this(extractor, options, NearestCentres.JAVA);
  }

  /**
   * @param bulk the coreset's batched distance pass, normally {@code
   *     OnnxKnnScorer#nearestCentres()}
   */
  public PatchCoreFitter(FeatureExtractor extractor, Options options, NearestCentres bulk) {
    this.bulk = bulk;
    if (options.preprocessing().inputSize() != extractor.inputSize()) {
      throw new IllegalArgumentException(
          "preprocessing produces "
              + options.preprocessing().inputSize()
              + " px inputs, the backbone takes "
              + extractor.inputSize());
    }
    this.extractor = extractor;
    this.options = options;
  }

  /**
   * Embeds every image (decoding in parallel with inference of the previous batch is left to the OS
   * cache).
   */
  public Embedded embed(List<? extends ImageSource> images, Progress progress)
      throws IOException, OrtException {
    if (images.isEmpty()) {
      throw new IllegalArgumentException("no images to fit on");
    }
    int s = options.preprocessing().inputSize();
    int per = 3 * s * s;
    int positions = extractor.spec().positions();
    int dim = extractor.spec().targetDim();
    long total = (long) images.size() * positions * dim;
    if (total > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException(
          images.size()
              + " images give "
              + total
              + " patch values, over the 2^31 array limit; fit on fewer images or a smaller target dimension");
    }
    float[] patches = new float[(int) total];
    float[] global = null;
    int globalDim = 0;
    int batch = options.batchSize();
    float[] input = new float[batch * per];
    Preprocessing p = options.preprocessing();
    for (int start = 0; start < images.size(); start += batch) {
      int n = Math.min(batch, images.size() - start);
      int from = start;
      try {
        IntStream.range(0, n)
            .parallel()
            .forEach(
                i -> {
                  ImageSource src = images.get(from + i);
                  try {
                    FloatImage img = src.load();
                    p.normalizeInto(p.geometry(img), input, i * per);
                  } catch (IOException e) {
                    throw new UncheckedIOException(e);
                  } catch (ImageDecodeException e) {
                    // file sources already name the file in the message
                    throw new UncheckedIOException(new IOException(e.getMessage(), e));
                  }
                });
      } catch (UncheckedIOException e) {
        throw e.getCause();
      }
      PatchFeatures f = extractor.extract(input, n);
      System.arraycopy(f.patches(), 0, patches, start * positions * dim, n * positions * dim);
      if (f.global() != null) {
        if (global == null) {
          globalDim = f.globalDim();
          global = new float[images.size() * globalDim];
        }
        System.arraycopy(f.global(), 0, global, start * globalDim, n * globalDim);
      }
      progress.update(start + n, images.size());
    }
    return new Embedded(patches, images.size(), positions, dim, global, globalDim);
  }

  /**
   * Subsamples embedded patches and returns the bank (in memory; {@link MemoryBank#write} persists
   * it).
   */
  public MemoryBank build(Embedded e, String bankVersion, Progress progress) {
    int n = e.count();
    int dim = e.dim();
    int[] chosen = coreset(e.patches(), n, dim, options.method(), progress);
    float[] body = new float[chosen.length * dim];
    for (int i = 0; i < chosen.length; i++) {
      System.arraycopy(e.patches(), chosen[i] * dim, body, i * dim, dim);
    }
    return MemoryBank.of(
        header(bankVersion, dim, e.images(), n, "patchcore", Map.of()), body, chosen.length);
  }

  /**
   * Indices of the vectors the coreset keeps, by {@code method} at this fitter's ratio and seed.
   */
  public int[] coreset(float[] vectors, int n, int dim, CoresetMethod method, Progress progress) {
    int select = method == CoresetMethod.NONE ? n : GreedyCoreset.count(n, options.coresetRatio());
    int[] chosen =
        switch (method) {
          case APPROXIMATE ->
              GreedyCoreset.approximate(
                  vectors, n, dim, select, options.projectionDim(), options.seed(), progress, bulk);
          case EXACT ->
              GreedyCoreset.exact(vectors, n, dim, select, options.seed(), progress, bulk);
          case RANDOM ->
              new SplittableRandom(options.seed()).ints(0, n).distinct().limit(select).toArray();
          case NONE -> IntStream.range(0, n).toArray();
        };
    LOG.info(
        "coreset: {} of {} vectors ({}, ratio {})",
        chosen.length,
        n,
        method,
        options.coresetRatio());
    return chosen;
  }

  public Options options() {
    return options;
  }

  public FeatureExtractor extractor() {
    return extractor;
  }

  /**
   * A bank header for vectors from this fitter's backbone; {@code extra} adds method-specific
   * parameters.
   */
  public BankHeader header(
      String bankVersion,
      int dim,
      int images,
      long patches,
      String method,
      Map<String, Object> extra) {
    Map<String, Object> params = new LinkedHashMap<>();
    params.put("coreset", options.method().name().toLowerCase());
    params.put("coresetRatio", options.coresetRatio());
    params.put("projectionDim", options.projectionDim());
    params.put("seed", options.seed());
    params.put("trainingImages", images);
    params.put("trainingPatches", patches);
    params.putAll(extra);
    return new BankHeader(
        BankHeader.FORMAT_VERSION,
        bankVersion,
        dim,
        0,
        null,
        BankHeader.Backbone.of(extractor.backbone(), extractor.spec()),
        BankHeader.PreprocessingInfo.of(options.preprocessing()),
        Instant.now(),
        method,
        params,
        null);
  }
}
