package io.tailwatch.tools;

import io.tailwatch.detector.bank.BankHeader;
import io.tailwatch.detector.bank.MemoryBank;
import io.tailwatch.detector.features.BackboneModel;
import io.tailwatch.detector.features.FeatureExtractor;
import io.tailwatch.detector.features.PatchEmbeddingSpec;
import io.tailwatch.detector.image.FloatImage;
import io.tailwatch.detector.image.ImageDecodeException;
import io.tailwatch.detector.image.ImageDecoder;
import io.tailwatch.detector.image.ImageFiles;
import io.tailwatch.detector.knn.OnnxKnnScorer;
import io.tailwatch.detector.scoring.Detection;
import io.tailwatch.detector.scoring.DetectorOptions;
import io.tailwatch.detector.scoring.Heatmaps;
import io.tailwatch.detector.scoring.ImageScoring;
import io.tailwatch.detector.scoring.PatchCoreDetector;
import io.tailwatch.detector.scoring.RegionBox;
import io.tailwatch.detector.scoring.Regions;
import io.tailwatch.detector.scoring.Reweighting;
import io.tailwatch.detector.scoring.ScoreCalibration;
import io.tailwatch.detector.scoring.TiledScoring;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code score}: image scores (and heatmaps) of a folder against a bank. */
@Command(
    name = "score",
    mixinStandardHelpOptions = true,
    description =
        "Score images against a memory bank; write a CSV and optionally heatmap overlays.")
final class ScoreCommand implements Callable<Integer> {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  /** Messages go through picocli's streams (System.err/out unless a caller redirected them). */
  private java.io.PrintWriter err() {
    return spec.commandLine().getErr();
  }

  private java.io.PrintWriter out() {
    return spec.commandLine().getOut();
  }

  @Option(names = "--bank", required = true, description = "Bank file (.twb) from 'fit'.")
  Path bankFile;

  @Option(names = "--images", required = true, description = "Folder of images to score.")
  Path images;

  @Option(names = "--recursive", description = "Also read images in sub-folders.")
  boolean recursive;

  @Option(
      names = "--out",
      required = true,
      description = "CSV to write: image,score[,anomalous,regions].")
  Path out;

  @Option(
      names = "--maps",
      description =
          "Folder for heatmap overlays: <sub-folder>/<image stem>.heatmap.png, mirroring --images "
              + "(the full file name when two images share a stem).")
  Path maps;

  @Option(
      names = "--threshold",
      description =
          "Image-score threshold of the anomalous/regions columns and the heatmap scale. Default: "
              + "the bank's calibrated threshold (from fit --calibration-holdout); a bank without "
              + "one gives score-only rows and heatmaps on each map's own range.")
  Double threshold;

  @Option(
      names = "--reweight",
      description = "PatchCore neighbourhood reweighting of the image score (b = 9).")
  boolean reweight;

  @Option(
      names = "--ivf-probes",
      defaultValue = "0",
      description =
          "A bank with an IVF index (fit --index ivf) is searched through this many lists per patch"
              + " (0 = exactly), as the job's detector.ivf-probes. Default: ${DEFAULT-VALUE}.")
  int ivfProbes;

  @Option(names = "--batch", defaultValue = "16")
  int batch;

  @Mixin BackboneOptions backbone;

  @Override
  public Integer call() throws Exception {
    backbone.validate();
    if (ivfProbes < 0) {
      throw new IllegalArgumentException("--ivf-probes must be >= 0, was " + ivfProbes);
    }
    MemoryBank bank = MemoryBank.load(bankFile);
    BankHeader.Backbone made = bank.header().backbone();
    List<Path> files = ImageFiles.select(images, recursive, List.of(), List.of()).images();
    ScoreCalibration calibration = ScoreCalibration.fromMap(bank.header().calibration());
    if (threshold == null && calibration != null) {
      threshold = calibration.threshold();
    }
    BackboneModel model = backbone.loadBackbone(made.name() + ".onnx");
    PatchEmbeddingSpec spec =
        new PatchEmbeddingSpec(
            model.layers(made.layers()), made.patchSize(), made.pretrainDim(), made.targetDim());
    Map<Path, String> mapNames = maps == null ? Map.of() : heatmapNames(files);
    ImageDecoder decoder = new ImageDecoder();
    DetectorOptions options = new DetectorOptions(reweight, Reweighting.DEFAULT_NEIGHBOURS, 4.0);
    int anomalies = 0;
    int scored = 0;
    List<String> failures = new ArrayList<>();
    long t0 = System.nanoTime();
    // the CSV appears whole or not at all: written beside the target, moved over it at the end
    Path absoluteOut = out.toAbsolutePath();
    Files.createDirectories(absoluteOut.getParent());
    Path partial = Files.createTempFile(absoluteOut.getParent(), ".score-", ".csv.partial");
    try (FeatureExtractor extractor = backbone.openExtractor(model, spec);
        OnnxKnnScorer knn =
            OnnxKnnScorer.open(backbone.provider(), backbone.threads).ivfProbes(ivfProbes);
        PatchCoreDetector detector = new PatchCoreDetector(extractor, knn, bank, options)) {
      int topK = ImageScoring.topK(bank);
      err()
          .printf(
              Locale.ROOT,
              "score: %d images%s against bank %s (%,d x %d%s) on %s; %s%n",
              files.size(),
              TiledScoring.of(bank) == null ? "" : " in " + TiledScoring.of(bank),
              bank.header().bankVersion(),
              bank.count(),
              bank.dim(),
              topK == 1 ? "" : ", image score the mean of the top " + topK + " patches",
              extractor.provider(),
              threshold == null
                  ? "no threshold (the bank has no calibration and --threshold is not set)"
                  : "threshold "
                      + threshold
                      + (calibration != null && threshold == calibration.threshold()
                          ? " (the bank's calibration)"
                          : ""));
      try (BufferedWriter csv = Files.newBufferedWriter(partial);
          ProgressBar bar = new ProgressBar("score")) {
        csv.write(
            threshold == null
                ? "image,score\n"
                : calibration != null
                    ? "image,score,anomalous,regions,calibrated\n"
                    : "image,score,anomalous,regions\n");
        for (int start = 0; start < files.size(); start += batch) {
          List<Path> chunk = new ArrayList<>();
          List<FloatImage> frames = new ArrayList<>();
          for (Path p : files.subList(start, Math.min(files.size(), start + batch))) {
            try {
              frames.add(decoder.read(p));
              chunk.add(p);
            } catch (ImageDecodeException | IOException e) {
              failures.add(images.relativize(p) + ": " + e.getMessage());
            }
          }
          // a bank fitted on tiles is scored on tiles, as it was fitted (TiledScoring)
          List<Detection> detections =
              chunk.isEmpty()
                  ? List.of()
                  : TiledScoring.detect(
                      detector, TiledScoring.of(bank), detector.preprocessing(), frames);
          for (int i = 0; i < chunk.size(); i++) {
            Detection d = detections.get(i);
            String name = images.relativize(chunk.get(i)).toString();
            StringBuilder line =
                new StringBuilder(csvField(name))
                    .append(',')
                    .append(String.format(Locale.ROOT, "%.6f", d.score()));
            if (threshold != null) {
              boolean anomalous = d.score() > threshold;
              anomalies += anomalous ? 1 : 0;
              line.append(',')
                  .append(anomalous)
                  .append(',')
                  .append(csvField(regions(d, frames.get(i))));
              if (calibration != null) {
                line.append(',')
                    .append(String.format(Locale.ROOT, "%.6f", calibration.calibrated(d.score())));
              }
            }
            csv.write(line.append('\n').toString());
            if (maps != null) {
              writeMap(maps.resolve(mapNames.get(chunk.get(i))), frames.get(i), d);
            }
            scored++;
          }
          bar.update(Math.min(files.size(), start + batch), files.size());
        }
      }
      Files.move(
          partial,
          absoluteOut,
          StandardCopyOption.REPLACE_EXISTING,
          StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(partial);
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    out()
        .printf(
            Locale.ROOT,
            "scored %d of %d images in %.1f s (%.1f frames/s) -> %s%s%n",
            scored,
            files.size(),
            seconds,
            scored / seconds,
            out,
            threshold == null ? "" : "; " + anomalies + " above threshold " + threshold);
    if (!failures.isEmpty()) {
      err().printf(Locale.ROOT, "score: %d images could not be read:%n", failures.size());
      failures.forEach(f -> err().println("  " + f));
      return 1;
    }
    return 0;
  }

  /**
   * Heatmap file names relative to --maps: the image's sub-folder, then its stem (its full name
   * when another image in the same folder has the same stem, e.g. a.png and a.jpg).
   */
  Map<Path, String> heatmapNames(List<Path> files) {
    Map<String, Integer> stems = new HashMap<>();
    for (Path f : files) {
      stems.merge(ImageFiles.stem(images.relativize(f)), 1, Integer::sum);
    }
    Map<Path, String> names = new HashMap<>();
    for (Path f : files) {
      Path relative = images.relativize(f);
      String stem = ImageFiles.stem(relative);
      names.put(f, (stems.get(stem) > 1 ? relative.toString() : stem) + ".heatmap.png");
    }
    return names;
  }

  private String regions(Detection d, FloatImage frame) {
    StringBuilder sb = new StringBuilder();
    double sx = (double) frame.width() / d.mapSize();
    double sy = (double) frame.height() / d.mapSize();
    for (RegionBox r : Regions.find(d.map(), d.mapSize(), d.mapSize(), d.mapLevel(threshold))) {
      RegionBox s = Regions.scale(r, sx, sy);
      sb.append(sb.length() == 0 ? "" : " ")
          .append(s.x())
          .append(':')
          .append(s.y())
          .append(':')
          .append(s.width())
          .append('x')
          .append(s.height());
    }
    return sb.toString();
  }

  private void writeMap(Path target, FloatImage frame, Detection d) throws java.io.IOException {
    Files.createDirectories(target.getParent());
    // with a threshold, a fixed scale around it (comparable across images); without, each map's own
    // range
    byte[] png;
    if (threshold != null) {
      double level = d.mapLevel(threshold);
      png = Heatmaps.png(Heatmaps.overlay(frame, d.map(), d.mapSize(), level * 0.5, level * 1.5));
    } else {
      png = Heatmaps.png(Heatmaps.overlayOwnRange(frame, d.map(), d.mapSize()));
    }
    Files.write(target, png);
  }

  private static String csvField(String s) {
    return s.contains(",") || s.contains("\"") ? '"' + s.replace("\"", "\"\"") + '"' : s;
  }
}
