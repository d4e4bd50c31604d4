package io.tailwatch.detector.tail;

import ai.onnxruntime.OrtException;
import io.tailwatch.detector.bank.CoresetMethod;
import io.tailwatch.detector.bank.MemoryBank;
import io.tailwatch.detector.bank.PatchCoreFitter;
import io.tailwatch.detector.bank.RandomProjection;
import io.tailwatch.detector.image.ImageSource;
import io.tailwatch.detector.stats.Quantiles;
import io.tailwatch.detector.util.Progress;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Memory banks from unlabeled, long-tailed, noisy normal data (ALGORITHMS.md §2):
 *
 * <ul>
 *   <li>{@link Method#SOFTPATCH}: per-position LOF on 128-d projections, patches at or above the
 *       LOF quantile dropped, the coreset of the rest, each kept vector weighted by its LOF
 *       (distance x weight at test).
 *   <li>{@link Method#TAILEDCORE}: {@link TailSampler} splits the images into tail and head; tail
 *       memory = the tail images' patches plus rotated/flipped copies, exact greedy coreset; head
 *       memory = the LOF-filtered head patches, exact greedy coreset; bank = the union, scored as
 *       PatchCore.
 * </ul>
 *
 * Both reuse {@link PatchCoreFitter} for embedding and coresets, so banks keep the same format and
 * header.
 */
public final class LongTailFitter {
  private static final Logger LOG = LoggerFactory.getLogger(LongTailFitter.class);

  public enum Method {
    PATCHCORE,
    SOFTPATCH,
    TAILEDCORE;

    public static Method parse(String text) {
      try {
        return valueOf(text.trim().toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "unknown fit method '" + text + "'; expected patchcore, softpatch or tailedcore");
      }
    }

    public String id() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /**
   * @param lofK neighbours of the LOF (TailedCore: 6)
   * @param lofDropQuantile patches whose LOF is at or above this quantile of all LOF values are
   *     dropped (0.85)
   * @param lofProjectionDim random projection the LOF runs on (128)
   */
  /**
   * @param coreset how TailedCore reduces its tail and head memories: EXACT greedy as the paper
   *     does (slow on large tail copies: about 300 vectors/s on 2 cores), or APPROXIMATE
   */
  public record Options(
      TailAugmentation augmentation,
      int lofK,
      double lofDropQuantile,
      int lofProjectionDim,
      CoresetMethod coreset) {
    public static final Options DEFAULT = new Options(TailAugmentation.ROT15FLIP, 6, 0.85, 128);

    /** The paper's exact coresets. */
    public Options(
        TailAugmentation augmentation, int lofK, double lofDropQuantile, int lofProjectionDim) {
      this(augmentation, lofK, lofDropQuantile, lofProjectionDim, CoresetMethod.EXACT);
    }

    public Options {
      java.util.Objects.requireNonNull(coreset, "coreset");
      if (lofK < 1) {
        throw new IllegalArgumentException("--lof-k must be >= 1, was " + lofK);
      }
      if (!(lofDropQuantile > 0 && lofDropQuantile <= 1)) {
        throw new IllegalArgumentException(
            "--lof-drop-quantile must be in (0, 1], was " + lofDropQuantile);
      }
      if (lofProjectionDim < 1) {
        throw new IllegalArgumentException(
            "--lof-projection-dim must be >= 1, was " + lofProjectionDim);
      }
    }

    public Options withAugmentation(TailAugmentation a) {
      return new Options(a, lofK, lofDropQuantile, lofProjectionDim, coreset);
    }
  }

  /** What a fit did, for the CLI and the benchmark. */
  public record Report(
      MemoryBank bank,
      TailSampler.Result tailSampler,
      int tailImages,
      int tailCopies,
      long headPatches,
      long headPatchesKept,
      double lofSeconds,
      double tailEmbedSeconds,
      double coresetSeconds) {}

  private final PatchCoreFitter fitter;
  private final Options options;

  public LongTailFitter(PatchCoreFitter fitter, Options options) {
    this.fitter = fitter;
    this.options = options;
  }

  /** SoftPatch over every embedded image. */
  public Report softPatch(PatchCoreFitter.Embedded e, String version, Progress progress) {
    long t0 = System.nanoTime();
    float[] lof = lof(e);
    float cut = (float) Quantiles.linearOfUnsorted(lof, options.lofDropQuantile());
    int[] keep = below(lof, cut);
    double lofSeconds = (System.nanoTime() - t0) / 1e9;
    float[] kept = gather(e.patches(), keep, e.dim());
    long t1 = System.nanoTime();
    int[] chosen = fitter.coreset(kept, keep.length, e.dim(), fitter.options().method(), progress);
    double coresetSeconds = (System.nanoTime() - t1) / 1e9;
    float[] weights = new float[chosen.length];
    for (int i = 0; i < chosen.length; i++) {
      weights[i] = lof[keep[chosen[i]]];
    }
    Map<String, Object> params = lofParams();
    params.put("patchesKept", keep.length);
    params.put("lofCut", cut);
    MemoryBank bank =
        MemoryBank.weighted(
            fitter.header(version, e.dim(), e.images(), e.count(), "softpatch", params),
            gather(kept, chosen, e.dim()),
            chosen.length,
            weights);
    LOG.info(
        "softpatch {}: kept {} of {} patches below LOF {}, bank {}",
        version,
        keep.length,
        e.count(),
        cut,
        chosen.length);
    return new Report(bank, null, 0, 0, e.count(), keep.length, lofSeconds, 0, coresetSeconds);
  }

  /**
   * TailedCore. {@code images} are the sources {@code e} was embedded from, in the same order (the
   * tail images are loaded again to make their rotated copies).
   */
  public Report tailedCore(
      PatchCoreFitter.Embedded e,
      List<? extends ImageSource> images,
      String version,
      Progress embedProgress,
      Progress coresetProgress)
      throws IOException, OrtException {
    if (images.size() != e.images()) {
      throw new IllegalArgumentException(
          images.size() + " image sources for " + e.images() + " embedded images");
    }
    if (e.global() == null) {
      throw new IllegalArgumentException(
          "TailedCore needs global embeddings: the backbone has no "
              + io.tailwatch.detector.features.BackboneModel.DEFAULT_GLOBAL_LAYER
              + " output");
    }
    TailSampler.Result sampler = TailSampler.run(e.global(), e.images(), e.globalDim());
    boolean[] isTail = new boolean[e.images()];
    for (int t : sampler.tail()) {
      isTail[t] = true;
    }
    int[] tail = sampler.tail();
    int[] head = java.util.stream.IntStream.range(0, e.images()).filter(i -> !isTail[i]).toArray();
    LOG.info(
        "TailSampler: {} images, groups {}, kElbow {}, k15% {}, tail = class size <= {}: {} tail images",
        e.images(),
        Arrays.toString(sampler.groups()),
        sampler.kElbow(),
        sampler.k15(),
        sampler.maxK(),
        tail.length);
    int dim = e.dim();
    int per = e.positions() * dim;

    // tail memory: the tail images' own patches plus their rotated / flipped copies
    long t0 = System.nanoTime();
    float[] tailPatches = new float[0];
    int copies = 0;
    if (tail.length > 0) {
      List<ImageSource> copySources = new ArrayList<>();
      for (int t : tail) {
        List<ImageSource> expanded = options.augmentation().expand(images.get(t));
        copySources.addAll(expanded.subList(1, expanded.size()));
      }
      copies = copySources.size();
      PatchCoreFitter.Embedded own = e.select(tail);
      if (copySources.isEmpty()) {
        tailPatches = own.patches();
      } else {
        PatchCoreFitter.Embedded copied = fitter.embed(copySources, embedProgress);
        tailPatches = Arrays.copyOf(own.patches(), own.patches().length + copied.patches().length);
        System.arraycopy(
            copied.patches(), 0, tailPatches, own.patches().length, copied.patches().length);
      }
    }
    double tailEmbedSeconds = (System.nanoTime() - t0) / 1e9;

    // head memory: per-position LOF over the head images, the most outlying patches dropped
    long t1 = System.nanoTime();
    float[] headKept = new float[0];
    long headKeptCount = 0;
    float cut = Float.NaN;
    if (head.length >= 2) {
      PatchCoreFitter.Embedded h = e.select(head);
      float[] lof = lof(h);
      cut = (float) Quantiles.linearOfUnsorted(lof, options.lofDropQuantile());
      int[] keep = below(lof, cut);
      headKept = gather(h.patches(), keep, dim);
      headKeptCount = keep.length;
    } else if (head.length == 1) {
      headKept = e.select(head).patches(); // one image: no neighbours to judge it by
      headKeptCount = e.positions();
    }
    double lofSeconds = (System.nanoTime() - t1) / 1e9;

    long t2 = System.nanoTime();
    int tailCount = tailPatches.length / dim;
    int headCount = headKept.length / dim;
    float[] tailBank =
        tailCount == 0
            ? new float[0]
            : gather(
                tailPatches,
                fitter.coreset(tailPatches, tailCount, dim, options.coreset(), coresetProgress),
                dim);
    float[] headBank =
        headCount == 0
            ? new float[0]
            : gather(
                headKept,
                fitter.coreset(headKept, headCount, dim, options.coreset(), coresetProgress),
                dim);
    double coresetSeconds = (System.nanoTime() - t2) / 1e9;
    float[] body = Arrays.copyOf(tailBank, tailBank.length + headBank.length);
    System.arraycopy(headBank, 0, body, tailBank.length, headBank.length);
    int count = body.length / dim;

    Map<String, Object> params = lofParams();
    params.put("coreset", options.coreset().name().toLowerCase(java.util.Locale.ROOT));
    params.put("augmentation", options.augmentation().id());
    params.put("tailImages", tail.length);
    params.put("tailCopies", copies);
    params.put("tailMaxClassSize", sampler.maxK());
    params.put("kElbow", sampler.kElbow());
    params.put("k15", sampler.k15());
    params.put("predictedGroups", Arrays.toString(sampler.groups()));
    params.put("tailMemory", tailBank.length / dim);
    params.put("headMemory", headBank.length / dim);
    params.put("headPatchesKept", headKeptCount);
    if (!Float.isNaN(cut)) {
      params.put("lofCut", cut);
    }
    MemoryBank bank =
        MemoryBank.of(
            fitter.header(version, dim, e.images(), e.count(), "tailedcore", params), body, count);
    LOG.info(
        "tailedcore {}: tail memory {} (from {} tail images + {} copies), head memory {} (from {} of {} "
            + "patches), bank {}",
        version,
        tailBank.length / dim,
        tail.length,
        copies,
        headBank.length / dim,
        headKeptCount,
        (long) head.length * e.positions(),
        count);
    return new Report(
        bank,
        sampler,
        tail.length,
        copies,
        (long) head.length * e.positions(),
        headKeptCount,
        lofSeconds,
        tailEmbedSeconds,
        coresetSeconds);
  }

  private Map<String, Object> lofParams() {
    Map<String, Object> params = new LinkedHashMap<>();
    params.put("lofK", options.lofK());
    params.put("lofDropQuantile", options.lofDropQuantile());
    params.put("lofProjectionDim", options.lofProjectionDim());
    return params;
  }

  /** Per-position LOF of every patch, on a seeded random projection of the patch vectors. */
  float[] lof(PatchCoreFitter.Embedded e) {
    // always projected, as TailedCore does, even when the patches are already 128-d: a fixed random
    // rotation
    float[] x =
        RandomProjection.gaussian(e.dim(), options.lofProjectionDim(), fitter.options().seed())
            .project(e.patches(), e.count());
    return LocalOutlierFactor.perPosition(
        x, e.images(), e.positions(), options.lofProjectionDim(), options.lofK());
  }

  /** Indices whose value is below {@code cut} (values at or above it are dropped). */
  static int[] below(float[] values, float cut) {
    return java.util.stream.IntStream.range(0, values.length)
        .filter(i -> values[i] < cut)
        .toArray();
  }

  static float[] gather(float[] data, int[] rows, int dim) {
    float[] out = new float[rows.length * dim];
    for (int i = 0; i < rows.length; i++) {
      System.arraycopy(data, rows[i] * dim, out, i * dim, dim);
    }
    return out;
  }
}
