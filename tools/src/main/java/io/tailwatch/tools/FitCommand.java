package io.tailwatch.tools;

import io.tailwatch.detector.bank.CoresetMethod;
import io.tailwatch.detector.bank.MemoryBank;
import io.tailwatch.detector.bank.PatchCoreFitter;
import io.tailwatch.detector.features.BackboneModel;
import io.tailwatch.detector.features.FeatureExtractor;
import io.tailwatch.detector.features.PatchEmbeddingSpec;
import io.tailwatch.detector.image.ImageDecoder;
import io.tailwatch.detector.image.ImageFiles;
import io.tailwatch.detector.image.ImageSource;
import io.tailwatch.detector.image.Preprocessing;
import io.tailwatch.detector.knn.OnnxKnnScorer;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code fit}: a memory bank from a folder of normal images. */
@Command(name = "fit", mixinStandardHelpOptions = true,
    description = "Build a PatchCore memory bank (.twb) from a folder of normal images.")
final class FitCommand implements Callable<Integer> {
  @Option(names = "--images", required = true, description = "Folder of normal (defect-free) images.")
  Path images;

  @Option(names = "--recursive", description = "Also read images in sub-folders.")
  boolean recursive;

  @Option(names = "--out", required = true, description = "Bank file to write (.twb).")
  Path out;

  @Option(names = "--coreset", defaultValue = "0.1", description = "Fraction of patches kept. Default: ${DEFAULT-VALUE}.")
  double coreset;

  @Option(names = "--coreset-method", defaultValue = "approximate",
      description = "approximate (PatchCore), exact, random, none. Default: ${DEFAULT-VALUE}.")
  String coresetMethod;

  @Option(names = "--projection-dim", defaultValue = "128", description = "Random projection for the approximate coreset. Default: ${DEFAULT-VALUE}.")
  int projectionDim;

  @Option(names = "--seed", defaultValue = "42")
  long seed;

  @Option(names = "--batch", defaultValue = "16", description = "Images per inference batch. Default: ${DEFAULT-VALUE}.")
  int batch;

  @Mixin
  PreprocessingOptions preprocessing;

  @Option(names = "--bank-version", description = "Version label stored in the bank (default: file name + time).")
  String bankVersion;

  @Mixin
  BackboneOptions backbone;

  @Override
  public Integer call() throws Exception {
    backbone.validate();
    preprocessing.toPreprocessing();
    CoresetMethod.parse(coresetMethod);
    ImageDecoder decoder = new ImageDecoder();
    List<ImageSource> sources = ImageFiles.list(images, recursive).stream()
        .map(p -> ImageSource.file(p, decoder)).toList();
    BackboneModel model = backbone.loadBackbone(null);
    PatchEmbeddingSpec spec = backbone.spec(model);
    Preprocessing prep = preprocessing.toPreprocessing();
    PatchCoreFitter.Options options = new PatchCoreFitter.Options(coreset, CoresetMethod.parse(coresetMethod),
        projectionDim, seed, batch, prep);
    String version = bankVersion != null ? bankVersion
        : out.getFileName().toString().replaceFirst("\\.twb$", "") + "-" + System.currentTimeMillis();
    try (FeatureExtractor extractor = backbone.openExtractor(model, spec);
        OnnxKnnScorer knn = OnnxKnnScorer.open(backbone.provider(), backbone.threads)) {
      System.err.printf(Locale.ROOT, "fit: %d images, backbone %s on %s, %s, patch dim %d%n", sources.size(),
          model.id(), extractor.provider(), prep, spec.targetDim());
      PatchCoreFitter fitter = new PatchCoreFitter(extractor, options, knn.nearestCentres());
      long t0 = System.nanoTime();
      PatchCoreFitter.Embedded embedded;
      try (ProgressBar bar = new ProgressBar("embed")) {
        embedded = fitter.embed(sources, bar);
      }
      long t1 = System.nanoTime();
      MemoryBank bank;
      try (ProgressBar bar = new ProgressBar("coreset")) {
        bank = fitter.build(embedded, version, bar);
      }
      long t2 = System.nanoTime();
      bank.write(out);
      System.out.printf(Locale.ROOT, "wrote %s: bank %s, %,d of %,d patches (%s coreset %.3f), dim %d; "
              + "embedding %.1f s, coreset %.1f s%n", out, version, bank.count(), embedded.count(),
          options.method().name().toLowerCase(Locale.ROOT), coreset, bank.dim(), (t1 - t0) / 1e9, (t2 - t1) / 1e9);
    }
    return 0;
  }
}
