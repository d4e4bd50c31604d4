package io.tailwatch.detector.scoring;

import io.tailwatch.detector.bank.MemoryBank;
import io.tailwatch.detector.bank.PatchCoreFitter;
import io.tailwatch.detector.util.Progress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * Cross-fitted calibration: every training image gets a held-out score, so the threshold is fitted
 * on all n of them instead of a 10% hold-out. The images are dealt into k folds; for each fold a
 * bank is built from the other folds' patches (by the same recipe as the final bank) and the fold's
 * images are scored against it from their already embedded patches. The final bank is then built on
 * every image.
 *
 * <p>Why: on the real classes of the pool a hold-out of 3-6 images gave thresholds whose test
 * false-alarm rates ran from 0% to 70% for an asked 1% (docs/detection.md). A bank built on (k-1)/k
 * of the images scores a little higher than one built on all of them, so the threshold errs on the
 * side of fewer false alarms.
 *
 * <p>Groups: several embedded images may be one frame (its tiles); folds never split a frame, and a
 * frame's score is the maximum over its tiles, as scoring does. Frames may further share a source
 * ({@link CalibrationGroups}: the tiles cut from one fabric strip, the photos of one part): folds
 * never split a source either, so a held-out frame is never scored against its siblings, which
 * score it lower than a new part would be scored (on AITEX fabric01 image-level folds put the
 * threshold where a third of the test strips' tiles false-alarmed; docs/detection.md).
 */
public final class CrossCalibration {
  /** Builds a bank from a subset of the embedded images (their indices in the full set given). */
  @FunctionalInterface
  public interface BankRecipe {
    MemoryBank build(PatchCoreFitter.Embedded subset, int[] imageIndices) throws Exception;
  }

  /** Scores embedded images against a bank (usually {@link PatchCoreDetector#imageScores}). */
  @FunctionalInterface
  public interface BankScorer {
    double[] score(MemoryBank bank, PatchCoreFitter.Embedded images) throws Exception;
  }

  private CrossCalibration() {}

  /**
   * One held-out score per frame, every frame's source in one fold.
   *
   * @param groupOf the frame of each embedded image, 0..frames-1; null: each image its own
   * @param sourceOf the source of each frame, 0..sources-1 ({@link CalibrationGroups#of}); null:
   *     each frame its own
   */
  public static double[] scores(
      PatchCoreFitter.Embedded embedded,
      int[] groupOf,
      int[] sourceOf,
      int folds,
      long seed,
      BankRecipe recipe,
      BankScorer scorer,
      Progress progress)
      throws Exception {
    int images = embedded.images();
    int[] group = ids(groupOf, images, "group", "images");
    int groups = CalibrationGroups.count(group);
    int[] source = ids(sourceOf, groups, "source", "frames");
    int sources = CalibrationGroups.count(source);
    if (folds < 2 || folds > sources) {
      throw new IllegalArgumentException(
          "cross-fitted calibration needs 2 <= folds <= images"
              + (sourceOf == null ? "" : " (sources: images that share a calibration group)")
              + "; was "
              + folds
              + " folds for "
              + sources
              + (sourceOf == null ? " images" : " sources"));
    }
    int[] foldOfSource = assignFolds(sources, folds, seed);
    int[] foldOf = new int[groups];
    for (int g = 0; g < groups; g++) {
      foldOf[g] = foldOfSource[source[g]];
    }
    double[] out = new double[groups];
    Arrays.fill(out, Double.NEGATIVE_INFINITY);
    for (int f = 0; f < folds; f++) {
      List<Integer> train = new ArrayList<>();
      List<Integer> held = new ArrayList<>();
      for (int i = 0; i < images; i++) {
        (foldOf[group[i]] == f ? held : train).add(i);
      }
      int[] trainIdx = train.stream().mapToInt(Integer::intValue).toArray();
      int[] heldIdx = held.stream().mapToInt(Integer::intValue).toArray();
      MemoryBank bank = recipe.build(embedded.select(trainIdx), trainIdx);
      double[] s = scorer.score(bank, embedded.select(heldIdx));
      for (int j = 0; j < heldIdx.length; j++) {
        int g = group[heldIdx[j]];
        out[g] = Math.max(out[g], s[j]);
      }
      progress.update(f + 1, folds);
    }
    return out;
  }

  /** {@code given} checked to hold one id per item, or each item its own id when null. */
  private static int[] ids(int[] given, int items, String what, String of) {
    if (given == null) {
      int[] own = new int[items];
      Arrays.setAll(own, i -> i);
      return own;
    }
    if (given.length != items) {
      throw new IllegalArgumentException(
          given.length + " " + what + " ids for " + items + " " + of);
    }
    return given;
  }

  /** Groups dealt round-robin into folds after a seeded shuffle: fold sizes differ by at most 1. */
  static int[] assignFolds(int groups, int folds, long seed) {
    List<Integer> order = new ArrayList<>();
    for (int g = 0; g < groups; g++) {
      order.add(g);
    }
    Collections.shuffle(order, new Random(seed));
    int[] foldOf = new int[groups];
    for (int i = 0; i < groups; i++) {
      foldOf[order.get(i)] = i % folds;
    }
    return foldOf;
  }
}
