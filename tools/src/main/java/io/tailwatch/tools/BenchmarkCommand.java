package io.tailwatch.tools;

import io.tailwatch.detector.bank.CoresetMethod;
import io.tailwatch.detector.bank.MemoryBank;
import io.tailwatch.detector.bank.PatchCoreFitter;
import io.tailwatch.detector.features.BackboneModel;
import io.tailwatch.detector.features.FeatureExtractor;
import io.tailwatch.detector.features.PatchEmbeddingSpec;
import io.tailwatch.detector.image.FloatImage;
import io.tailwatch.detector.image.ImageSource;
import io.tailwatch.detector.image.Preprocessing;
import io.tailwatch.detector.knn.OnnxKnnScorer;
import io.tailwatch.detector.metrics.BinaryScores;
import io.tailwatch.detector.scoring.Detection;
import io.tailwatch.detector.scoring.DetectorOptions;
import io.tailwatch.detector.scoring.PatchCoreDetector;
import io.tailwatch.detector.sim.ProductLineSimulator;
import io.tailwatch.detector.sim.ProductLineSimulator.Defect;
import io.tailwatch.detector.sim.ProductLineSimulator.Variant;
import io.tailwatch.detector.tail.LongTailFitter;
import io.tailwatch.detector.tail.TailAugmentation;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code benchmark longtail}: PatchCore vs SoftPatch vs TailedCore on a long-tailed, noisy training set built
 * from the simulator's product variants (each variant one class): a step tail keeps K images in 60% of the
 * classes, the rest keep {@code --head} images, and round(noise x n) defective images are added to each head
 * class (ALGORITHMS.md §2 protocol). Test: per class, fresh normal and defective frames. Prints per-class image
 * AUROC per method, their means, and TailSampler's precision/recall of the true tail images.
 */
@Command(name = "benchmark", mixinStandardHelpOptions = true,
    description = "Long-tailed noisy benchmark on simulated product variants: PatchCore vs SoftPatch vs TailedCore.")
final class BenchmarkCommand implements Callable<Integer> {
  @Option(names = "--tail-k", defaultValue = "4", description = "Images kept per tail class (step tail). Default: ${DEFAULT-VALUE}.")
  int tailK;

  @Option(names = "--head", defaultValue = "80", description = "Normal images per head class. Default: ${DEFAULT-VALUE}.")
  int head;

  @Option(names = "--noise", defaultValue = "0.1", description = "Defective images added to head classes, as a ratio. Default: ${DEFAULT-VALUE}.")
  double noise;

  @Option(names = "--test", defaultValue = "15", description = "Normal and defective test frames per class. Default: ${DEFAULT-VALUE}.")
  int test;

  @Option(names = "--seeds", split = ",", defaultValue = "1", description = "Seeds (class roles and images). Default: ${DEFAULT-VALUE}.")
  List<Long> seeds;

  @Option(names = "--size", defaultValue = "128", description = "Simulated frame side. Default: ${DEFAULT-VALUE}.")
  int size;

  @Option(names = "--tail-augmentation", defaultValue = "rot30flip", description = "TailedCore copies. Default: ${DEFAULT-VALUE}.")
  String augmentation;

  @Option(names = "--coreset", defaultValue = "0.1")
  double coreset;

  @Mixin
  BackboneOptions backbone;

  @Override
  public Integer call() throws Exception {
    backbone.validate();
    if (tailK < 1 || head <= tailK || !(noise >= 0 && noise <= 0.4) || test < 2) {
      throw new IllegalArgumentException("need --tail-k >= 1, --head > --tail-k, --noise in [0, 0.4], --test >= 2");
    }
    BackboneModel model = backbone.loadBackbone(null);
    PatchEmbeddingSpec spec = backbone.spec(model);
    Preprocessing prep = Preprocessing.DEFAULT;
    LongTailFitter.Method[] methods = LongTailFitter.Method.values();
    Variant[] classes = Variant.values();
    Map<String, double[]> sums = new LinkedHashMap<>();
    double recallSum = 0;
    double precisionSum = 0;
    try (FeatureExtractor extractor = backbone.openExtractor(model, spec);
        OnnxKnnScorer knn = OnnxKnnScorer.open(backbone.provider(), backbone.threads)) {
      for (long seed : seeds) {
        Random random = new Random(seed);
        List<Variant> order = new ArrayList<>(Arrays.asList(classes));
        java.util.Collections.shuffle(order, random);
        int tailClasses = (int) Math.round(0.6 * classes.length);
        Set<Variant> tails = new HashSet<>(order.subList(0, tailClasses));
        ProductLineSimulator line = new ProductLineSimulator(seed, size, 0.0);
        List<ImageSource> train = new ArrayList<>();
        Set<Integer> trueTail = new HashSet<>();
        long index = 0;
        Defect[] defects = Defect.values();
        for (Variant v : classes) {
          int n = tails.contains(v) ? tailK : head;
          for (int i = 0; i < n; i++) {
            if (tails.contains(v)) {
              trueTail.add(train.size());
            }
            train.add(ImageSource.of(v + "-" + index, line.frame(index++, v, null).toFloatImage()));
          }
          if (!tails.contains(v)) {
            for (int i = 0; i < Math.round(noise * n); i++) {
              train.add(ImageSource.of(v + "-noise-" + index,
                  line.frame(index++, v, defects[i % defects.length]).toFloatImage()));
            }
          }
        }
        System.err.printf(Locale.ROOT, "seed %d: %d training images, tail classes %s (%d images each), "
            + "head %d + %d noisy%n", seed, train.size(), tails, tailK, head, Math.round(noise * head));
        PatchCoreFitter fitter = new PatchCoreFitter(extractor, new PatchCoreFitter.Options(coreset,
            CoresetMethod.APPROXIMATE, 128, seed, 16, prep), knn.nearestCentres());
        PatchCoreFitter.Embedded embedded;
        try (ProgressBar bar = new ProgressBar("embed")) {
          embedded = fitter.embed(train, bar);
        }
        Map<Variant, List<FloatImage>> testGood = new LinkedHashMap<>();
        Map<Variant, List<FloatImage>> testBad = new LinkedHashMap<>();
        long testIndex = 1_000_000L;
        for (Variant v : classes) {
          List<FloatImage> good = new ArrayList<>();
          List<FloatImage> bad = new ArrayList<>();
          for (int i = 0; i < test; i++) {
            good.add(line.frame(testIndex++, v, null).toFloatImage());
            bad.add(line.frame(testIndex++, v, defects[i % defects.length]).toFloatImage());
          }
          testGood.put(v, good);
          testBad.put(v, bad);
        }
        LongTailFitter robust = new LongTailFitter(fitter, new LongTailFitter.Options(
            TailAugmentation.parse(augmentation), 6, 0.85, 128));
        for (LongTailFitter.Method m : methods) {
          long t0 = System.nanoTime();
          MemoryBank bank;
          try (ProgressBar bar = new ProgressBar(m.id())) {
            bank = switch (m) {
              case PATCHCORE -> fitter.build(embedded, m.id(), bar);
              case SOFTPATCH -> robust.softPatch(embedded, m.id(), bar).bank();
              case TAILEDCORE -> {
                LongTailFitter.Report r = robust.tailedCore(embedded, train, m.id(), bar, bar);
                int[] found = r.tailSampler().tail();
                long hit = Arrays.stream(found).filter(trueTail::contains).count();
                double recall = (double) hit / trueTail.size();
                double precision = found.length == 0 ? 0 : (double) hit / found.length;
                recallSum += recall;
                precisionSum += precision;
                System.err.printf(Locale.ROOT, "TailSampler: groups %s, maxK %d, %d tail images found, "
                    + "recall %.3f, precision %.3f%n", Arrays.toString(r.tailSampler().groups()),
                    r.tailSampler().maxK(), found.length, recall, precision);
                yield r.bank();
              }
            };
          }
          double fitSeconds = (System.nanoTime() - t0) / 1e9;
          try (PatchCoreDetector detector = new PatchCoreDetector(extractor, knn, bank, DetectorOptions.DEFAULT)) {
            StringBuilder row = new StringBuilder();
            double mean = 0;
            for (Variant v : classes) {
              float[] neg = scores(detector, testGood.get(v));
              float[] pos = scores(detector, testBad.get(v));
              double auroc = BinaryScores.of(pos, neg).auroc();
              mean += auroc / classes.length;
              sums.computeIfAbsent(m.id() + "/" + v, k -> new double[1])[0] += auroc;
              row.append(String.format(Locale.ROOT, " %s%s %.4f", v, tails.contains(v) ? "(tail)" : "", auroc));
            }
            sums.computeIfAbsent(m.id() + "/mean", k -> new double[1])[0] += mean;
            System.err.printf(Locale.ROOT, "seed %d %-10s bank %,d, fit %.1f s, mean image AUROC %.4f:%s%n", seed,
                m.id(), bank.count(), fitSeconds, mean, row);
          }
        }
      }
    }
    int s = seeds.size();
    System.out.printf(Locale.ROOT, "%n| method | mean image AUROC |");
    for (Variant v : classes) {
      System.out.printf(Locale.ROOT, " %s |", v.name().toLowerCase(Locale.ROOT));
    }
    System.out.printf(Locale.ROOT, "%n|---|---:|%s%n", "---:|".repeat(classes.length));
    for (LongTailFitter.Method m : methods) {
      System.out.printf(Locale.ROOT, "| %s | %.4f |", m.id(), sums.get(m.id() + "/mean")[0] / s);
      for (Variant v : classes) {
        System.out.printf(Locale.ROOT, " %.4f |", sums.get(m.id() + "/" + v)[0] / s);
      }
      System.out.println();
    }
    System.out.printf(Locale.ROOT, "%nTailSampler over %d seed(s): recall of true tail images %.3f, precision %.3f%n",
        s, recallSum / s, precisionSum / s);
    return 0;
  }

  private static float[] scores(PatchCoreDetector detector, List<FloatImage> images) throws Exception {
    float[] out = new float[images.size()];
    for (int from = 0; from < images.size(); from += 16) {
      List<Detection> d = detector.detect(images.subList(from, Math.min(images.size(), from + 16)));
      for (int i = 0; i < d.size(); i++) {
        out[from + i] = (float) d.get(i).score();
      }
    }
    return out;
  }
}
