package io.tailwatch.tools;

import io.tailwatch.detector.bank.BankHeader;
import io.tailwatch.detector.bank.MemoryBank;
import io.tailwatch.detector.features.BackboneModel;
import io.tailwatch.detector.features.FeatureExtractor;
import io.tailwatch.detector.features.PatchEmbeddingSpec;
import io.tailwatch.detector.image.FloatImage;
import io.tailwatch.detector.image.ImageDecoder;
import io.tailwatch.detector.image.ImageFiles;
import io.tailwatch.detector.knn.OnnxKnnScorer;
import io.tailwatch.detector.scoring.Detection;
import io.tailwatch.detector.scoring.DetectorOptions;
import io.tailwatch.detector.scoring.Heatmaps;
import io.tailwatch.detector.scoring.PatchCoreDetector;
import io.tailwatch.detector.scoring.RegionBox;
import io.tailwatch.detector.scoring.Regions;
import io.tailwatch.detector.scoring.Reweighting;
import java.io.BufferedWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
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

  @Option(names = "--maps", description = "Folder for heatmap overlays (<image>.heatmap.png).")
  Path maps;

  @Option(
      names = "--threshold",
      description =
          "Image-score threshold: adds anomalous/regions columns and fixes the heatmap scale.")
  Double threshold;

  @Option(
      names = "--reweight",
      description = "PatchCore neighbourhood reweighting of the image score (b = 9).")
  boolean reweight;

  @Option(names = "--batch", defaultValue = "16")
  int batch;

  @Mixin BackboneOptions backbone;

  @Override
  public Integer call() throws Exception {
    backbone.validate();
    MemoryBank bank = MemoryBank.load(bankFile);
    BankHeader.Backbone made = bank.header().backbone();
    List<Path> files = ImageFiles.list(images, recursive);
    BackboneModel model = backbone.loadBackbone(made.name() + ".onnx");
    PatchEmbeddingSpec spec =
        new PatchEmbeddingSpec(
            model.layers(made.layers()), made.patchSize(), made.pretrainDim(), made.targetDim());
    if (maps != null) {
      Files.createDirectories(maps);
    }
    ImageDecoder decoder = new ImageDecoder();
    DetectorOptions options = new DetectorOptions(reweight, Reweighting.DEFAULT_NEIGHBOURS, 4.0);
    int anomalies = 0;
    long t0 = System.nanoTime();
    try (FeatureExtractor extractor = backbone.openExtractor(model, spec);
        OnnxKnnScorer knn = OnnxKnnScorer.open(backbone.provider(), backbone.threads);
        PatchCoreDetector detector = new PatchCoreDetector(extractor, knn, bank, options);
        BufferedWriter csv = Files.newBufferedWriter(out);
        ProgressBar bar = new ProgressBar("score")) {
      System.err.printf(
          Locale.ROOT,
          "score: %d images against bank %s (%,d x %d) on %s%n",
          files.size(),
          bank.header().bankVersion(),
          bank.count(),
          bank.dim(),
          extractor.provider());
      csv.write(threshold == null ? "image,score\n" : "image,score,anomalous,regions\n");
      for (int start = 0; start < files.size(); start += batch) {
        List<Path> chunk = files.subList(start, Math.min(files.size(), start + batch));
        List<FloatImage> frames = new ArrayList<>();
        for (Path p : chunk) {
          frames.add(decoder.read(p));
        }
        List<Detection> detections = detector.detect(frames);
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
          }
          csv.write(line.append('\n').toString());
          if (maps != null) {
            writeMap(chunk.get(i), frames.get(i), d);
          }
        }
        bar.update(start + chunk.size(), files.size());
      }
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    System.out.printf(
        Locale.ROOT,
        "scored %d images in %.1f s (%.1f frames/s) -> %s%s%n",
        files.size(),
        seconds,
        files.size() / seconds,
        out,
        threshold == null ? "" : "; " + anomalies + " above threshold " + threshold);
    return 0;
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

  private void writeMap(Path image, FloatImage frame, Detection d) throws java.io.IOException {
    String name = image.getFileName().toString().replaceFirst("\\.[^.]+$", "") + ".heatmap.png";
    // with a threshold, a fixed scale around it (comparable across images); without, each map's own
    // range
    byte[] png;
    if (threshold != null) {
      double level = d.mapLevel(threshold);
      png = Heatmaps.png(Heatmaps.overlay(frame, d.map(), d.mapSize(), level * 0.5, level * 1.5));
    } else {
      png = Heatmaps.png(Heatmaps.overlayOwnRange(frame, d.map(), d.mapSize()));
    }
    Files.write(maps.resolve(name), png);
  }

  private static String csvField(String s) {
    return s.contains(",") || s.contains("\"") ? '"' + s.replace("\"", "\"\"") + '"' : s;
  }
}
