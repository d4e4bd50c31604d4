package io.tailwatch.detector.metrics;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Scores of positives (anomalous) and negatives (normal), each sorted ascending. Ranking metrics
 * are computed by merging the two sorted arrays: exact (ties count half, as in sklearn) and O(n log
 * n) even for the tens of millions of pixels of a pixel-level evaluation, with no boxed pairs.
 */
public final class BinaryScores {
  private final float[] pos;
  private final float[] neg;

  private BinaryScores(float[] sortedPositives, float[] sortedNegatives) {
    this.pos = sortedPositives;
    this.neg = sortedNegatives;
  }

  public static BinaryScores of(float[] positives, float[] negatives) {
    float[] p = positives.clone();
    float[] n = negatives.clone();
    Arrays.sort(p);
    Arrays.sort(n);
    return new BinaryScores(p, n);
  }

  public static BinaryScores of(double[] scores, boolean[] labels) {
    FloatList p = new FloatList();
    FloatList n = new FloatList();
    for (int i = 0; i < scores.length; i++) {
      (labels[i] ? p : n).add((float) scores[i]);
    }
    return new BinaryScores(p.toSortedArray(), n.toSortedArray());
  }

  public static BinaryScores ofSorted(FloatList positives, FloatList negatives) {
    return new BinaryScores(positives.toSortedArray(), negatives.toSortedArray());
  }

  public int positives() {
    return pos.length;
  }

  public int negatives() {
    return neg.length;
  }

  float[] sortedNegatives() {
    return neg;
  }

  /**
   * Area under the ROC curve = P(score_pos > score_neg) + 0.5 P(equal). NaN without both classes.
   */
  public double auroc() {
    if (pos.length == 0 || neg.length == 0) {
      return Double.NaN;
    }
    double wins = 0;
    int below = 0; // negatives strictly below the current positive value
    int j = 0;
    int i = 0;
    while (i < pos.length) {
      float v = pos[i];
      while (below < neg.length && neg[below] < v) {
        below++;
      }
      j = below;
      while (j < neg.length && neg[j] == v) {
        j++;
      }
      int equal = j - below;
      int run = 0;
      while (i < pos.length && pos[i] == v) {
        run++;
        i++;
      }
      wins += run * (below + 0.5 * equal);
    }
    return wins / ((double) pos.length * neg.length);
  }

  /**
   * Average precision (area under the precision-recall curve, sklearn's step-wise sum over distinct
   * thresholds, highest first). NaN without positives.
   */
  public double averagePrecision() {
    if (pos.length == 0) {
      return Double.NaN;
    }
    double[] ap = {0, 0}; // area, previous recall
    sweep(
        (tp, fp) -> {
          double recall = (double) tp / pos.length;
          ap[0] += (recall - ap[1]) * ((double) tp / (tp + fp));
          ap[1] = recall;
        });
    return ap[0];
  }

  /** Called once per distinct score, highest first, with the counts at or above it. */
  @FunctionalInterface
  private interface Step {
    void at(long truePositives, long falsePositives);
  }

  /** Walks the distinct scores from the highest down: the operating points of every threshold. */
  private void sweep(Step step) {
    int i = pos.length - 1;
    int j = neg.length - 1;
    long tp = 0;
    long fp = 0;
    while (i >= 0 || j >= 0) {
      float t =
          Math.max(
              i >= 0 ? pos[i] : Float.NEGATIVE_INFINITY, j >= 0 ? neg[j] : Float.NEGATIVE_INFINITY);
      while (i >= 0 && pos[i] == t) {
        tp++;
        i--;
      }
      while (j >= 0 && neg[j] == t) {
        fp++;
        j--;
      }
      step.at(tp, fp);
    }
  }

  /**
   * The best F1 over all thresholds (alert when score >= t), the image-level F1-max anomalib
   * reports. NaN without positives.
   */
  public double f1Max() {
    if (pos.length == 0) {
      return Double.NaN;
    }
    double[] best = {0};
    // F1 = 2 TP / (2 TP + FP + FN), FN = positives - TP
    sweep((tp, fp) -> best[0] = Math.max(best[0], 2.0 * tp / (2.0 * tp + fp + (pos.length - tp))));
    return best[0];
  }

  /** Positives scoring strictly above {@code threshold} (the job alerts on score > threshold). */
  public int positivesAbove(double threshold) {
    return above(pos, threshold);
  }

  /** Negatives scoring strictly above {@code threshold}: false alarms at that threshold. */
  public int negativesAbove(double threshold) {
    return above(neg, threshold);
  }

  private static int above(float[] sorted, double threshold) {
    int lo = 0;
    int hi = sorted.length;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (sorted[mid] <= threshold) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return sorted.length - lo;
  }

  /**
   * The ROC curve as (false-positive rate, true-positive rate) points from (0, 0) to (1, 1), one
   * per distinct score (for plots; image-level arrays are small).
   */
  public double[][] rocCurve() {
    List<double[]> points = new ArrayList<>();
    points.add(new double[] {0, 0});
    sweep(
        (tp, fp) ->
            points.add(
                new double[] {
                  neg.length == 0 ? 0 : (double) fp / neg.length,
                  pos.length == 0 ? 0 : (double) tp / pos.length
                }));
    return points.toArray(new double[0][]);
  }
}
