package io.tailwatch.tools;

import io.tailwatch.detector.bank.CoresetMethod;
import io.tailwatch.detector.bank.PatchCoreFitter;
import io.tailwatch.detector.features.BackboneModel;
import io.tailwatch.detector.features.FeatureExtractor;
import io.tailwatch.detector.features.PatchEmbeddingSpec;
import io.tailwatch.detector.image.ImageDecoder;
import io.tailwatch.detector.image.ImageFiles;
import io.tailwatch.detector.image.ImageSource;
import io.tailwatch.detector.image.Preprocessing;
import io.tailwatch.detector.knn.OnnxKnnScorer;
import io.tailwatch.detector.scoring.CalibrationGroups;
import io.tailwatch.detector.scoring.ScoreCalibration;
import io.tailwatch.detector.tail.LongTailFitter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code fit}: a memory bank from a folder of normal images. */
@Command(
    name = "fit",
    mixinStandardHelpOptions = true,
    description =
        "Build a memory bank (.twb) from a folder of normal images: PatchCore, or SoftPatch / "
            + "TailedCore for unlabeled, long-tailed, noisy normal data.")
final class FitCommand implements Callable<Integer> {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  /** Messages go through picocli's streams (System.err/out unless a caller redirected them). */
  private java.io.PrintWriter err() {
    return spec.commandLine().getErr();
  }

  private java.io.PrintWriter out() {
    return spec.commandLine().getOut();
  }

  @Option(
      names = "--images",
      required = true,
      description = "Folder of normal (defect-free) images.")
  Path images;

  @Option(names = "--recursive", description = "Also read images in sub-folders.")
  boolean recursive;

  @Option(
      names = "--include",
      split = ",",
      description =
          "Globs of the image paths (relative to --images) to use, e.g. '**/good/*'. Default: all. "
              + "Masks (ground_truth/, *_mask.*, a PNG beside a same-name JPEG) are never used.")
  List<String> includes = new ArrayList<>();

  @Option(
      names = "--exclude",
      split = ",",
      description = "Globs of the image paths (relative to --images) to leave out.")
  List<String> excludes = new ArrayList<>();

  @Option(
      names = "--skip-bad",
      description =
          "Skip and count images that cannot be decoded (corrupt, truncated) instead of stopping "
              + "at the first with its name.")
  boolean skipBad;

  @Option(names = "--out", required = true, description = "Bank file to write (.twb).")
  Path out;

  @Option(
      names = "--method",
      defaultValue = "patchcore",
      description =
          "patchcore; softpatch (LOF filter + LOF-weighted distance); tailedcore (TailSampler: tail "
              + "memory with rotated copies + LOF-filtered head memory, exact coresets). Default: ${DEFAULT-VALUE}.")
  String method;

  @Mixin LongTailCliOptions longTailOptions;

  @Mixin TilingOptions tilingOptions;

  @Option(
      names = "--coreset",
      defaultValue = "0.1",
      description = "Fraction of patches kept. Default: ${DEFAULT-VALUE}.")
  double coreset;

  @Option(
      names = "--coreset-method",
      defaultValue = "approximate",
      description = "approximate (PatchCore), exact, random, none. Default: ${DEFAULT-VALUE}.")
  String coresetMethod;

  @Option(
      names = "--projection-dim",
      defaultValue = "128",
      description = "Random projection for the approximate coreset. Default: ${DEFAULT-VALUE}.")
  int projectionDim;

  @Option(names = "--seed", defaultValue = "42")
  long seed;

  @Option(
      names = "--batch",
      defaultValue = "16",
      description = "Images per inference batch. Default: ${DEFAULT-VALUE}.")
  int batch;

  @Mixin PreprocessingOptions preprocessing;

  @Option(
      names = "--calibration-holdout",
      defaultValue = "0.1",
      description =
          "Fraction of the images kept out of the bank to calibrate the score and set the threshold "
              + "(0 = no calibration; the job then needs detector.threshold). Default: ${DEFAULT-VALUE}.")
  double calibrationHoldout;

  @Option(
      names = "--calibration-folds",
      defaultValue = "0",
      description =
          "k >= 2: fit the threshold on k-fold cross-fitted scores of every image (each fold scored"
              + " against a bank of the others; k extra bank builds) and build the bank on all of"
              + " them, instead of holding images out; better for small classes. 0 ="
              + " --calibration-holdout. Default: ${DEFAULT-VALUE}.")
  int calibrationFolds;

  @Mixin CalibrationGroupOptions calibrationGroups;

  @Mixin ImageScoreOptions imageScore;

  @Option(
      names = "--false-alarm-rate",
      defaultValue = "0.01",
      description =
          "False-alarm rate the calibrated threshold is set for. Default: ${DEFAULT-VALUE}.")
  double falseAlarmRate;

  @Option(
      names = "--index",
      defaultValue = "exact",
      description =
          "exact (no index), or ivf: store an IVF index with the bank (the vectors grouped by"
              + " k-means list), which the job searches through detector.ivf-probes lists instead of"
              + " exactly. Default: ${DEFAULT-VALUE}.")
  String index;

  @Option(
      names = "--ivf-lists",
      defaultValue = "0",
      description =
          "--index ivf: lists (0 = 4 sqrt(N), at least 39 vectors a list). Default: ${DEFAULT-VALUE}.")
  int ivfLists;

  @Option(
      names = "--ivf-probes",
      defaultValue = "16",
      description =
          "--index ivf: lists probed when the hold-out is scored for the threshold; set the job's"
              + " detector.ivf-probes to the same. Default: ${DEFAULT-VALUE}.")
  int ivfProbes;

  @Option(
      names = "--file-mode",
      defaultValue = "rw-r--r--",
      description =
          "POSIX permissions of the bank file (readable by the task managers' user). "
              + "Default: ${DEFAULT-VALUE}.")
  String fileMode;

  @Option(
      names = "--bank-version",
      description = "Version label stored in the bank (default: file name + time).")
  String bankVersion;

  @Mixin BackboneOptions backbone;

  @Override
  public Integer call() throws Exception {
    // every argument is checked before any image is read or any model loaded
    backbone.validate();
    Preprocessing prep = preprocessing.toPreprocessing();
    LongTailFitter.Method fitMethod = LongTailFitter.Method.parse(method);
    LongTailFitter.Options longTail = longTailOptions.options();
    PatchCoreFitter.Options options =
        new PatchCoreFitter.Options(
            coreset, CoresetMethod.parse(coresetMethod), projectionDim, seed, batch, prep);
    BankBuilder.validateCalibration(calibrationHoldout, calibrationFolds, falseAlarmRate);
    java.util.regex.Pattern groups = calibrationGroups.pattern(calibrationFolds);
    BankBuilder.Ivf ivf = BankBuilder.Ivf.parse(index, ivfLists, ivfProbes);
    io.tailwatch.detector.image.Tiling tiling = tilingOptions.tiling();
    imageScore.topK(); // fails before any image is read
    java.util.Set<java.nio.file.attribute.PosixFilePermission> permissions;
    try {
      permissions = java.nio.file.attribute.PosixFilePermissions.fromString(fileMode);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "--file-mode must look like rw-r--r--, was '" + fileMode + "'");
    }
    if (Files.isDirectory(out)) {
      throw new IllegalArgumentException("--out is a folder, not a bank file: " + out);
    }
    Path parent = out.toAbsolutePath().getParent();
    if (parent != null && Files.exists(parent) && !Files.isWritable(parent)) {
      throw new IllegalArgumentException("--out: cannot write into " + parent);
    }
    ImageFiles.Selection selection = ImageFiles.select(images, recursive, includes, excludes);
    ImageDecoder decoder = new ImageDecoder();
    List<Path> readable = DecodeCheck.readable(selection.images(), decoder, skipBad, "fit", err());
    err()
        .printf(
            Locale.ROOT,
            "fit: %s%s%n",
            selection.describe(),
            readable.size() < selection.images().size()
                ? ", " + (selection.images().size() - readable.size()) + " unreadable skipped"
                : "");
    List<ImageSource> sources = readable.stream().map(p -> ImageSource.file(p, decoder)).toList();
    BackboneModel model = backbone.loadBackbone(null);
    PatchEmbeddingSpec spec = backbone.spec(model);
    String version =
        bankVersion != null
            ? bankVersion
            : out.getFileName().toString().replaceFirst("\\.twb$", "")
                + "-"
                + System.currentTimeMillis();
    if (calibrationFolds > sources.size()) {
      throw new IllegalArgumentException(
          "--calibration-folds "
              + calibrationFolds
              + " needs at least as many images, found "
              + sources.size());
    }
    if (groups != null) {
      int sourceCount =
          CalibrationGroups.count(
              CalibrationGroups.of(sources.stream().map(ImageSource::id).toList(), groups));
      if (calibrationFolds > sourceCount) {
        throw new IllegalArgumentException(
            "--calibration-folds "
                + calibrationFolds
                + " needs at least as many sources, --calibration-groups found "
                + sourceCount);
      }
    }
    // cross-fitted calibration holds nothing out: every image is in the bank and is scored once
    List<List<ImageSource>> parts =
        BankBuilder.split(sources, calibrationFolds > 0 ? 0 : calibrationHoldout, seed);
    try (FeatureExtractor extractor = backbone.openExtractor(model, spec);
        OnnxKnnScorer knn = OnnxKnnScorer.open(backbone.provider(), backbone.threads)) {
      err()
          .printf(
              Locale.ROOT,
              "fit: %d images%s (%s), backbone %s on %s, %s, " + "patch dim %d%n",
              sources.size(),
              tiling == null ? "" : " in " + tiling,
              calibrationFolds > 0
                  ? "threshold on " + calibrationFolds + "-fold cross-fitted scores of all"
                  : parts.get(1).size() + " held out for calibration",
              model.id(),
              extractor.provider(),
              prep,
              spec.targetDim());
      BankBuilder.Result r =
          BankBuilder.build(
              extractor,
              knn,
              options,
              fitMethod,
              longTail,
              parts.get(0),
              parts.get(1),
              calibrationFolds,
              groups,
              tiling,
              imageScore.topK(),
              falseAlarmRate,
              version,
              ivf);
      r.bank().write(out, permissions);
      out()
          .printf(
              Locale.ROOT,
              "wrote %s: %s bank %s, %,d of %,d patches (coreset %.3f), dim %d; "
                  + "embedding %.1f s, bank %.1f s%n",
              out,
              fitMethod.id(),
              version,
              r.bank().count(),
              r.patches(),
              coreset,
              r.bank().dim(),
              r.embedSeconds(),
              r.coresetSeconds());
      if (r.bank().ivf() != null) {
        out()
            .printf(
                Locale.ROOT,
                "ivf index: %d lists (%.0f vectors a list on average); the threshold was fitted"
                    + " searching %d of them: run the job with detector.ivf-probes: %d%n",
                r.bank().ivf().lists(),
                r.bank().count() / (double) r.bank().ivf().lists(),
                ivfProbes,
                ivfProbes);
      }
      LongTailFitter.Report lt = r.longTail();
      if (lt != null && lt.tailSampler() != null) {
        out()
            .printf(
                Locale.ROOT,
                "TailSampler: predicted class sizes %s, tail = class size <= %d "
                    + "(elbow %d, 15%% rule %d): %d tail images, %d rotated/flipped copies%n",
                Arrays.toString(lt.tailSampler().groups()),
                lt.tailSampler().maxK(),
                lt.tailSampler().kElbow(),
                lt.tailSampler().k15(),
                lt.tailImages(),
                lt.tailCopies());
      }
      if (lt != null) {
        out()
            .printf(
                Locale.ROOT,
                "LOF filter: kept %,d of %,d patches; LOF %.1f s, tail copies %.1f s, "
                    + "coresets %.1f s%n",
                lt.headPatchesKept(),
                lt.headPatches(),
                lt.lofSeconds(),
                lt.tailEmbedSeconds(),
                lt.coresetSeconds());
      }
      if (r.calibration() != null) {
        out()
            .printf(
                Locale.ROOT,
                "calibration on %d %s images: mean %.4f, std %.4f -> threshold %.4f "
                    + "(false-alarm rate %.3g, %s)%n",
                r.calibration().count(),
                calibrationFolds > 0 ? "cross-fitted" : "held-out",
                r.calibration().mean(),
                r.calibration().std(),
                r.calibration().threshold(),
                r.calibration().falseAlarmRate(),
                r.calibration().empirical()
                    ? "the conformal quantile of the held-out scores"
                    : "a Gaussian fit: too few held-out images for the empirical quantile, "
                        + ScoreCalibration.minimumForEmpirical(r.calibration().falseAlarmRate())
                        + " needed");
      }
    }
    return 0;
  }
}
