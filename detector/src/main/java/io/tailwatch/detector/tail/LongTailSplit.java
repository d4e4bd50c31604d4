package io.tailwatch.detector.tail;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * How many normal and how many defective (noise) training images each class gets in a long-tailed,
 * noisy benchmark, following the TailedCore protocol (ALGORITHMS.md §2, and the authors' dataset
 * generator):
 *
 * <ul>
 *   <li>step: {@code round(0.6 C)} classes chosen at random keep K images; the others keep all
 *       theirs and get {@code round(noise x n)} defective images each;
 *   <li>pareto: a discrete Pareto(alpha) pmf over the C classes (scipy's pareto between its 1% and
 *       99% quantiles, C equal steps), assigned to the classes in a random order, scaled so the
 *       class with the largest share keeps all its images, each class clamped to [5, available];
 *       {@code round(noise x total)} defective images spread over the classes of at least 20 images
 *       in proportion to their size (one random draw per image).
 * </ul>
 */
public final class LongTailSplit {
  /**
   * One class's share: normal images kept, defective images added, and whether it is a tail class.
   */
  public record ClassPlan(String name, int normal, int noise, boolean tail) {}

  public static final double STEP_TAIL_CLASS_RATIO = 0.6;
  public static final int PARETO_MIN_PER_CLASS = 5;
  public static final int PARETO_MIN_NOISY_CLASS = 20;
  static final double PARETO_EPSILON = 0.01;

  private LongTailSplit() {}

  /**
   * Step tail: {@code available} normal images per class, by name; K images kept by the tail
   * classes.
   */
  public static List<ClassPlan> step(
      Map<String, Integer> available, int k, double noise, Random random) {
    if (k < 1) {
      throw new IllegalArgumentException("step tail needs K >= 1, was " + k);
    }
    checkNoise(noise);
    List<String> names = new ArrayList<>(available.keySet());
    List<String> shuffled = new ArrayList<>(names);
    Collections.shuffle(shuffled, random);
    int tailCount = (int) Math.round(names.size() * STEP_TAIL_CLASS_RATIO);
    List<String> tails = shuffled.subList(0, tailCount);
    List<ClassPlan> out = new ArrayList<>();
    for (String name : names) {
      int n = available.get(name);
      if (tails.contains(name)) {
        out.add(new ClassPlan(name, Math.min(k, n), 0, true));
      } else {
        out.add(new ClassPlan(name, n, (int) Math.round(noise * n), false));
      }
    }
    return out;
  }

  /**
   * Pareto tail over the classes of {@code available}; the tail classes (for TailSampler's recall)
   * are those too small to receive noise (fewer than 20 images).
   */
  public static List<ClassPlan> pareto(
      Map<String, Integer> available, double alpha, double noise, Random random) {
    if (!(alpha > 0)) {
      throw new IllegalArgumentException("pareto tail needs alpha > 0, was " + alpha);
    }
    checkNoise(noise);
    List<String> names = new ArrayList<>(available.keySet());
    for (String name : names) {
      if (available.get(name) <= PARETO_MIN_PER_CLASS) {
        throw new IllegalArgumentException(
            "class "
                + name
                + " has "
                + available.get(name)
                + " images; the pareto tail needs more than "
                + PARETO_MIN_PER_CLASS
                + " per class");
      }
    }
    double[] pmf = paretoPmf(alpha, names.size());
    List<Double> shares = new ArrayList<>();
    for (double p : pmf) {
      shares.add(p);
    }
    Collections.shuffle(shares, random);
    int[] sizes =
        redistribute(
            names.stream().mapToInt(available::get).toArray(),
            shares.stream().mapToDouble(Double::doubleValue).toArray(),
            PARETO_MIN_PER_CLASS);
    Map<String, Integer> kept = new LinkedHashMap<>();
    int total = 0;
    for (int i = 0; i < names.size(); i++) {
      kept.put(names.get(i), sizes[i]);
      total += sizes[i];
    }
    Map<String, Integer> noisy =
        spreadNoise(kept, (int) Math.round(total * noise), PARETO_MIN_NOISY_CLASS, random);
    List<ClassPlan> out = new ArrayList<>();
    for (String name : names) {
      int n = kept.get(name);
      out.add(new ClassPlan(name, n, noisy.getOrDefault(name, 0), n < PARETO_MIN_NOISY_CLASS));
    }
    return out;
  }

  /**
   * scipy.stats.pareto(alpha) discretised: C + 1 equally spaced points between the epsilon and 1 -
   * epsilon quantiles, the pmf being the cdf's increments (sums to 1 - 2 epsilon), largest first.
   */
  static double[] paretoPmf(double alpha, int classes) {
    // ppf(q) = (1 - q)^(-1/alpha)
    double lo = Math.pow(1 - PARETO_EPSILON, -1 / alpha);
    double hi = Math.pow(PARETO_EPSILON, -1 / alpha);
    double[] pmf = new double[classes];
    double previous = cdf(lo, alpha);
    for (int i = 1; i <= classes; i++) {
      double x = lo + (hi - lo) * i / classes;
      double c = cdf(x, alpha);
      pmf[i - 1] = c - previous;
      previous = c;
    }
    return pmf;
  }

  private static double cdf(double x, double alpha) {
    return x < 1 ? 0 : 1 - Math.pow(x, -alpha);
  }

  /**
   * Scale the shares so the largest-share class keeps all its images; clamp each to [min,
   * available].
   */
  static int[] redistribute(int[] available, double[] shares, int min) {
    int argmax = 0;
    for (int i = 1; i < shares.length; i++) {
      if (shares[i] > shares[argmax]) {
        argmax = i;
      }
    }
    double factor = available[argmax] / shares[argmax];
    int[] out = new int[available.length];
    for (int i = 0; i < out.length; i++) {
      long desired = Math.round(shares[i] * factor);
      out[i] = (int) Math.max(Math.min(available[i], desired), min);
    }
    return out;
  }

  /**
   * One random draw per image over all classes' images; only classes of at least {@code minSize}
   * count.
   */
  static Map<String, Integer> spreadNoise(
      Map<String, Integer> sizes, int total, int minSize, Random random) {
    List<String> slots = new ArrayList<>();
    sizes.forEach(
        (name, n) -> {
          for (int i = 0; i < n; i++) {
            slots.add(name);
          }
        });
    Collections.shuffle(slots, random);
    Map<String, Integer> out = new LinkedHashMap<>();
    int placed = 0;
    for (String name : slots) {
      if (placed == total) {
        break;
      }
      if (sizes.get(name) >= minSize) {
        out.merge(name, 1, Integer::sum);
        placed++;
      }
    }
    return out;
  }

  private static void checkNoise(double noise) {
    if (!(noise >= 0 && noise <= 0.5)) {
      throw new IllegalArgumentException("noise ratio must be in [0, 0.5], was " + noise);
    }
  }
}
