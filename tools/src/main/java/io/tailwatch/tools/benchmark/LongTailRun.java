package io.tailwatch.tools.benchmark;

import io.tailwatch.detector.bank.MemoryBank;
import io.tailwatch.detector.bank.PatchCoreFitter;
import io.tailwatch.detector.eval.PatchCoreEvaluation;
import io.tailwatch.detector.image.FloatImage;
import io.tailwatch.detector.image.ImageSource;
import io.tailwatch.detector.knn.OnnxKnnScorer;
import io.tailwatch.detector.metrics.BinaryScores;
import io.tailwatch.detector.metrics.PixelMetrics;
import io.tailwatch.detector.scoring.Detection;
import io.tailwatch.detector.scoring.DetectorOptions;
import io.tailwatch.detector.scoring.PatchCoreDetector;
import io.tailwatch.detector.tail.LongTailFitter;
import io.tailwatch.detector.util.Progress;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Runs one manifest: embeds its training images once, fits a bank with each method (PatchCore,
 * SoftPatch, TailedCore), and scores every class's test images: image AUROC and pixel AUROC per
 * class, fit time, and for TailedCore TailSampler's recall and precision of the images of the
 * manifest's tail classes.
 */
public final class LongTailRun {
  /** One method's figures on one manifest. */
  public record MethodResult(
      String method,
      Map<String, Double> imageAuroc,
      Map<String, Double> pixelAuroc,
      double fitSeconds,
      int bankSize) {
    public double meanImageAuroc() {
      return imageAuroc.values().stream()
          .mapToDouble(Double::doubleValue)
          .average()
          .orElse(Double.NaN);
    }

    /** Over the classes with masks (a class without any, e.g. casting, has no pixel AUROC). */
    public double meanPixelAuroc() {
      return pixelAuroc.values().stream()
          .mapToDouble(Double::doubleValue)
          .filter(v -> !Double.isNaN(v))
          .average()
          .orElse(Double.NaN);
    }
  }

  /** All methods on one manifest. */
  public record Result(
      LongTailManifest manifest,
      List<MethodResult> methods,
      double tailRecall,
      double tailPrecision,
      int[] tailSamplerGroups) {}

  /** Progress bars by step name (embed, fit per method, score). */
  public interface Bars {
    Progress bar(String name);

    void done(String name);
  }

  private final LongTailPool pool;
  private final PatchCoreFitter fitter;
  private final LongTailFitter longTail;
  private final OnnxKnnScorer knn;

  public LongTailRun(
      LongTailPool pool, PatchCoreFitter fitter, LongTailFitter longTail, OnnxKnnScorer knn) {
    this.pool = pool;
    this.fitter = fitter;
    this.longTail = longTail;
    this.knn = knn;
  }

  public Result run(LongTailManifest m, List<LongTailFitter.Method> methods, Bars bars)
      throws Exception {
    List<ImageSource> train = new ArrayList<>();
    Set<Integer> trueTail = new HashSet<>();
    for (LongTailManifest.ClassEntry c : m.classes()) {
      for (String id : c.train()) {
        if (c.tail()) {
          trueTail.add(train.size());
        }
        train.add(source(id));
      }
      for (String id : c.noise()) {
        train.add(source(id));
      }
    }
    PatchCoreFitter.Embedded embedded = fitter.embed(train, bars.bar("embed"));
    bars.done("embed");
    Map<String, TestSet> tests = new LinkedHashMap<>();
    for (LongTailManifest.ClassEntry c : m.classes()) {
      tests.put(c.name(), new TestSet(load(c.testGood()), load(c.testBad())));
    }
    List<MethodResult> results = new ArrayList<>();
    double recall = Double.NaN;
    double precision = Double.NaN;
    int[] groups = new int[0];
    for (LongTailFitter.Method method : methods) {
      long t0 = System.nanoTime();
      Progress bar = bars.bar(method.id());
      MemoryBank bank =
          switch (method) {
            case PATCHCORE -> fitter.build(embedded, method.id(), bar);
            case SOFTPATCH -> longTail.softPatch(embedded, method.id(), bar).bank();
            case TAILEDCORE -> {
              LongTailFitter.Report r = longTail.tailedCore(embedded, train, method.id(), bar, bar);
              int[] found = r.tailSampler().tail();
              long hit = Arrays.stream(found).filter(trueTail::contains).count();
              recall = trueTail.isEmpty() ? Double.NaN : (double) hit / trueTail.size();
              precision = found.length == 0 ? 0 : (double) hit / found.length;
              groups = r.tailSampler().groups();
              yield r.bank();
            }
          };
      double fit = (System.nanoTime() - t0) / 1e9;
      bars.done(method.id());
      results.add(score(tests, method.id(), bank, fit, bars));
    }
    return new Result(m, results, recall, precision, groups);
  }

  /**
   * A class's test images (normal, defective) with their ground truth in the detector's geometry.
   */
  private record TestSet(Labelled good, Labelled bad) {
    int size() {
      return good.images().size() + bad.images().size();
    }
  }

  private record Labelled(List<FloatImage> images, List<boolean[]> truth) {}

  private Labelled load(List<String> ids) throws IOException {
    int s = fitter.options().preprocessing().inputSize();
    List<FloatImage> images = new ArrayList<>();
    List<boolean[]> truth = new ArrayList<>();
    for (String id : ids) {
      LongTailPool.Sample sample = pool.load(id);
      images.add(sample.image());
      truth.add(
          sample.mask() == null
              ? new boolean[s * s]
              : PatchCoreEvaluation.maskInGeometry(
                  sample.mask(), fitter.options().preprocessing()));
    }
    return new Labelled(images, truth);
  }

  private MethodResult score(
      Map<String, TestSet> tests, String method, MemoryBank bank, double fitSeconds, Bars bars)
      throws Exception {
    Map<String, Double> image = new LinkedHashMap<>();
    Map<String, Double> pixel = new LinkedHashMap<>();
    int total = tests.values().stream().mapToInt(TestSet::size).sum();
    Progress bar = bars.bar("score " + method);
    int done = 0;
    try (PatchCoreDetector detector =
        new PatchCoreDetector(fitter.extractor(), knn, bank, DetectorOptions.DEFAULT)) {
      for (Map.Entry<String, TestSet> e : tests.entrySet()) {
        PixelMetrics pixels = new PixelMetrics();
        float[] good = scores(detector, e.getValue().good(), pixels);
        float[] bad = scores(detector, e.getValue().bad(), pixels);
        done += e.getValue().size();
        bar.update(done, total);
        image.put(e.getKey(), BinaryScores.of(bad, good).auroc());
        pixel.put(e.getKey(), pixels.scores().auroc());
      }
    }
    bars.done("score " + method);
    return new MethodResult(method, image, pixel, fitSeconds, bank.count());
  }

  private static float[] scores(PatchCoreDetector detector, Labelled set, PixelMetrics pixels)
      throws Exception {
    List<FloatImage> images = set.images();
    float[] out = new float[images.size()];
    for (int from = 0; from < images.size(); from += 16) {
      List<Detection> d = detector.detect(images.subList(from, Math.min(images.size(), from + 16)));
      for (int i = 0; i < d.size(); i++) {
        out[from + i] = (float) d.get(i).score();
        pixels.add(d.get(i).map(), set.truth().get(from + i));
      }
    }
    return out;
  }

  private ImageSource source(String id) {
    return new ImageSource() {
      @Override
      public String id() {
        return id;
      }

      @Override
      public FloatImage load() throws IOException {
        return pool.image(id);
      }
    };
  }
}
