package io.tailwatch.tools.bench;

import ai.onnxruntime.OrtException;
import io.tailwatch.detector.bank.CoresetMethod;
import io.tailwatch.detector.bank.MemoryBank;
import io.tailwatch.detector.bank.PatchCoreFitter;
import io.tailwatch.detector.features.FeatureExtractor;
import io.tailwatch.detector.features.PatchFeatures;
import io.tailwatch.detector.image.FloatImage;
import io.tailwatch.detector.image.ImageDecoder;
import io.tailwatch.detector.image.ImageSource;
import io.tailwatch.detector.image.Preprocessing;
import io.tailwatch.detector.image.Tiling;
import io.tailwatch.detector.knn.KnnPrecision;
import io.tailwatch.detector.knn.OnnxKnnScorer;
import io.tailwatch.detector.scoring.DetectorOptions;
import io.tailwatch.detector.scoring.PatchCoreDetector;
import io.tailwatch.detector.scoring.TiledScoring;
import io.tailwatch.detector.sim.ProductLineSimulator;
import io.tailwatch.detector.util.Progress;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The whole detector per image, and its two stages apart: backbone + patch embedding, and the kNN
 * search against an N-vector bank, per batch size. The bank holds real patch vectors of simulated
 * normal frames (every patch of the first frames, no coreset: the search cost depends on N and D
 * only).
 */
public final class DetectorBenchmark {
  private final FeatureExtractor extractor;
  private final List<FloatImage> frames;
  private final MemoryBank bank;

  /**
   * One measured setting: frames/s of the whole detector, of the features alone and of the kNN
   * alone.
   */
  public record Row(
      int batch,
      KnnPrecision precision,
      double detectorFps,
      double featuresFps,
      double knnFps,
      double batchMillis) {
    /** Share of the detector's time spent in the kNN search (from the stage rates). */
    public double knnShare() {
      return detectorFps / knnFps;
    }
  }

  private DetectorBenchmark(FeatureExtractor extractor, List<FloatImage> frames, MemoryBank bank) {
    this.extractor = extractor;
    this.frames = frames;
    this.bank = bank;
  }

  /**
   * Simulated frames of {@code side} px, and a bank of {@code bankSize} patch vectors from the
   * first of them.
   */
  public static DetectorBenchmark prepare(
      FeatureExtractor extractor,
      int bankSize,
      int frameCount,
      int side,
      long seed,
      Progress progress)
      throws IOException, OrtException {
    ProductLineSimulator line = new ProductLineSimulator(seed, side, 0.0);
    List<FloatImage> frames = new ArrayList<>();
    for (int i = 0; i < frameCount; i++) {
      frames.add(line.frame(1_000 + i).toFloatImage());
    }
    int s = extractor.inputSize();
    Preprocessing p =
        new Preprocessing(s, 0, Preprocessing.IMAGENET_MEAN, Preprocessing.IMAGENET_STD);
    float[] one = new float[3 * s * s];
    p.normalizeInto(p.geometry(frames.get(0)), one, 0);
    int positions = extractor.extract(one, 1).positions();
    int bankFrames = (bankSize + positions - 1) / positions;
    List<ImageSource> sources = new ArrayList<>();
    for (int i = 0; i < bankFrames; i++) {
      sources.add(ImageSource.of("bank-" + i, line.frame(i).toFloatImage()));
    }
    PatchCoreFitter fitter =
        new PatchCoreFitter(
            extractor, new PatchCoreFitter.Options(1.0, CoresetMethod.NONE, 128, seed, 16, p));
    PatchCoreFitter.Embedded e = fitter.embed(sources, progress);
    MemoryBank full = fitter.build(e, "bench-" + bankSize, Progress.NONE);
    MemoryBank bank =
        MemoryBank.of(full.header(), Arrays.copyOf(e.patches(), bankSize * e.dim()), bankSize);
    return new DetectorBenchmark(extractor, frames, bank);
  }

  /**
   * One tiled setting: large frames decoded from PNG and scored on tiles, one at a time as the job
   * does.
   */
  public record TiledRow(
      KnnPrecision precision,
      int width,
      int height,
      int tilesPerFrame,
      double decodeMillis,
      double framesPerSecond) {
    public double megapixelsPerSecond() {
      return framesPerSecond * width * height / 1e6;
    }
  }

  /**
   * {@code count} simulated frames of {@code side} px as PNGs, each decoded and scored tile by tile
   * ({@link TiledScoring}); best of {@code repeat} passes after one warm-up frame. Frames/s counts
   * decode and scoring.
   */
  public TiledRow measureTiled(
      OnnxKnnScorer knn, int side, int count, Tiling tiling, int repeat, long seed)
      throws Exception {
    ProductLineSimulator line = new ProductLineSimulator(seed, side, 0.0);
    List<byte[]> pngs = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      pngs.add(line.frame(5_000 + i).png());
    }
    ImageDecoder decoder = new ImageDecoder();
    try (PatchCoreDetector detector =
        new PatchCoreDetector(extractor, knn, bank, DetectorOptions.DEFAULT)) {
      Preprocessing p = detector.preprocessing();
      TiledScoring.detect(detector, tiling, p, List.of(decoder.decodeCompressed(pngs.get(0))));
      double best = Double.POSITIVE_INFINITY;
      double decode = Double.POSITIVE_INFINITY;
      for (int r = 0; r < repeat; r++) {
        long decodeNanos = 0;
        long t0 = System.nanoTime();
        for (byte[] png : pngs) {
          long d0 = System.nanoTime();
          FloatImage frame = decoder.decodeCompressed(png);
          decodeNanos += System.nanoTime() - d0;
          TiledScoring.detect(detector, tiling, p, List.of(frame));
        }
        best = Math.min(best, (System.nanoTime() - t0) / 1e9);
        decode = Math.min(decode, decodeNanos / 1e6 / count);
      }
      return new TiledRow(
          knn.precision(), side, side, tiling.windows(side, side).size(), decode, count / best);
    }
  }

  /**
   * The same frames with the bank regrouped under an IVF index of {@code lists} lists, built with
   * {@code fp32} ({@link io.tailwatch.detector.knn.IvfIndex}); the seconds it took in {@link
   * #indexSeconds}.
   */
  public DetectorBenchmark withIvf(int lists, OnnxKnnScorer fp32, Progress progress)
      throws OrtException {
    long t0 = System.nanoTime();
    MemoryBank indexed =
        io.tailwatch.detector.knn.IvfIndex.build(
            bank, lists, io.tailwatch.detector.knn.IvfIndex.DEFAULT_ITERATIONS, 7, fp32, progress);
    DetectorBenchmark b = new DetectorBenchmark(extractor, frames, indexed);
    b.indexSeconds = (System.nanoTime() - t0) / 1e9;
    return b;
  }

  private double indexSeconds;

  /** Seconds {@link #withIvf} took to build the index (0 without one). */
  public double indexSeconds() {
    return indexSeconds;
  }

  /** The same frames and bank on another (reopened) extractor. */
  public DetectorBenchmark on(FeatureExtractor other) {
    return new DetectorBenchmark(other, frames, bank);
  }

  public MemoryBank bank() {
    return bank;
  }

  /**
   * Recall@1 of the IVF search on real patch vectors: the share of the first {@code maxFrames}
   * frames' patches whose distance through {@code approx} on {@code indexed}'s bank equals the
   * exact distance on this bank ({@link KnnBenchmark#recall}), and how many patches that was.
   */
  public double[] recall(
      OnnxKnnScorer exact, DetectorBenchmark indexed, OnnxKnnScorer approx, int maxFrames)
      throws Exception {
    int s = extractor.inputSize();
    Preprocessing p =
        new Preprocessing(s, 0, Preprocessing.IMAGENET_MEAN, Preprocessing.IMAGENET_STD);
    int n = Math.min(maxFrames, frames.size());
    float[] input = new float[n * 3 * s * s];
    for (int i = 0; i < n; i++) {
      p.normalizeInto(p.geometry(frames.get(i)), input, i * 3 * s * s);
    }
    PatchFeatures f = extractor.extract(input, n);
    int q = n * f.positions();
    try (OnnxKnnScorer.Index e = exact.index(bank);
        OnnxKnnScorer.Index a = approx.index(indexed.bank)) {
      float[] truth = exact.search(e, f.patches(), q).distances();
      float[] found = approx.search(a, f.patches(), q).distances();
      return new double[] {KnnBenchmark.recall(truth, found), q};
    }
  }

  /**
   * Best of {@code repeat} passes over all frames, in batches of {@code batch}, after one warm-up
   * batch.
   */
  public Row measure(OnnxKnnScorer knn, int batch, int repeat) throws Exception {
    try (PatchCoreDetector detector =
            new PatchCoreDetector(extractor, knn, bank, DetectorOptions.DEFAULT);
        OnnxKnnScorer.Index index =
            knn.index(bank)) { // the kNN stage alone, on its own index of the bank
      Preprocessing p = detector.preprocessing();
      int s = p.inputSize();
      int n = frames.size() / batch * batch;
      if (n == 0) {
        throw new IllegalArgumentException("need at least " + batch + " frames for batch " + batch);
      }
      List<float[]> tensors = new ArrayList<>();
      for (int b = 0; b < n; b += batch) {
        float[] input = new float[batch * 3 * s * s];
        for (int i = 0; i < batch; i++) {
          p.normalizeInto(p.geometry(frames.get(b + i)), input, i * 3 * s * s);
        }
        tensors.add(input);
      }
      PatchFeatures sample = extractor.extract(tensors.get(0), batch);
      detector.detect(frames.subList(0, batch)); // warm-up of every stage
      knn.search(index, sample.patches(), batch * sample.positions());
      double whole = Double.POSITIVE_INFINITY;
      double features = Double.POSITIVE_INFINITY;
      double search = Double.POSITIVE_INFINITY;
      for (int r = 0; r < repeat; r++) {
        long t0 = System.nanoTime();
        for (int b = 0; b < n; b += batch) {
          detector.detect(frames.subList(b, b + batch));
        }
        long t1 = System.nanoTime();
        for (float[] t : tensors) {
          extractor.extract(t, batch);
        }
        long t2 = System.nanoTime();
        for (int b = 0; b < n; b += batch) {
          knn.search(index, sample.patches(), batch * sample.positions());
        }
        long t3 = System.nanoTime();
        whole = Math.min(whole, (t1 - t0) / 1e9);
        features = Math.min(features, (t2 - t1) / 1e9);
        search = Math.min(search, (t3 - t2) / 1e9);
      }
      return new Row(
          batch, knn.precision(), n / whole, n / features, n / search, 1e3 * whole / (n / batch));
    }
  }
}
