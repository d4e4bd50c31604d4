package io.tailwatch.detector.scoring;

import io.tailwatch.detector.bank.MemoryBank;
import io.tailwatch.detector.image.FloatImage;
import io.tailwatch.detector.image.ImageDecodeException;
import io.tailwatch.detector.image.ImageSource;
import io.tailwatch.detector.util.Progress;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Scores held-out normal images (never part of the bank: a bank scores its own patches at zero) and
 * stores the resulting {@link ScoreCalibration} in the bank header, so a streaming job can run
 * without a hand-set threshold.
 */
public final class Calibrator {
  private Calibrator() {}

  public static MemoryBank calibrate(
      PatchCoreDetector detector,
      List<? extends ImageSource> heldOutNormals,
      double falseAlarmRate,
      int batch,
      Progress progress)
      throws Exception {
    return calibrate(detector, heldOutNormals, falseAlarmRate, batch, progress, null, null);
  }

  /**
   * The same for a bank fitted on tiles: each held-out frame is scored as the job will score it
   * (the maximum over its tiles, {@link TiledScoring}).
   *
   * @param tiling null: whole frames ({@code preprocessing} then unused)
   */
  public static MemoryBank calibrate(
      PatchCoreDetector detector,
      List<? extends ImageSource> heldOutNormals,
      double falseAlarmRate,
      int batch,
      Progress progress,
      io.tailwatch.detector.image.Tiling tiling,
      io.tailwatch.detector.image.Preprocessing preprocessing)
      throws Exception {
    if (heldOutNormals.size() < 2) {
      throw new IllegalArgumentException(
          "calibration needs at least 2 held-out normal images, got " + heldOutNormals.size());
    }
    double[] scores = scores(detector, heldOutNormals, batch, progress, tiling, preprocessing);
    ScoreCalibration calibration = ScoreCalibration.fit(scores, falseAlarmRate);
    return detector.bank().withCalibration(calibration.toMap());
  }

  /** The held-out images' scores, as {@link #calibrate} fits them. */
  public static double[] scores(
      PatchCoreDetector detector,
      List<? extends ImageSource> heldOutNormals,
      int batch,
      Progress progress,
      io.tailwatch.detector.image.Tiling tiling,
      io.tailwatch.detector.image.Preprocessing preprocessing)
      throws Exception {
    double[] scores = new double[heldOutNormals.size()];
    for (int start = 0; start < scores.length; start += batch) {
      int end = Math.min(scores.length, start + batch);
      List<FloatImage> images = new ArrayList<>(end - start);
      for (ImageSource s : heldOutNormals.subList(start, end)) {
        images.add(load(s));
      }
      List<Detection> out = TiledScoring.detect(detector, tiling, preprocessing, images);
      for (int i = 0; i < out.size(); i++) {
        scores[start + i] = out.get(i).score();
      }
      progress.update(end, scores.length);
    }
    return scores;
  }

  private static FloatImage load(ImageSource s) throws IOException, ImageDecodeException {
    try {
      return s.load();
    } catch (ImageDecodeException e) {
      throw new ImageDecodeException(s + ": " + e.getMessage(), e);
    }
  }
}
