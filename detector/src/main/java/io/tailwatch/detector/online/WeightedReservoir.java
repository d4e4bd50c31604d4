package io.tailwatch.detector.online;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;
import java.util.SplittableRandom;

/**
 * Weighted reservoir sampling without replacement (Efraimidis and Spirakis, A-Res): each item gets
 * the key u^(1/w), u uniform in (0, 1), and the {@code capacity} largest keys are kept. Keys are
 * held as logarithms (log u / w) so tiny weights do not underflow. Keys from reservoirs with the
 * same rule compare directly, so the top keys of several reservoirs are a sample of the union
 * ({@link #merge}).
 *
 * <p>A caller draws the key first and builds the item only if {@link #accepts} says it would be
 * kept, so an expensive item (a frame's patch vectors) is copied only when it enters.
 */
public final class WeightedReservoir<T> {
  /** One kept item and its key (log u / w). */
  public record Entry<T>(double key, T item) {}

  private final int capacity;
  private final SplittableRandom random;
  private final PriorityQueue<Entry<T>> heap =
      new PriorityQueue<>(Comparator.comparingDouble(Entry::key));

  public WeightedReservoir(int capacity, long seed) {
    if (capacity < 1) {
      throw new IllegalArgumentException("reservoir capacity must be at least 1, was " + capacity);
    }
    this.capacity = capacity;
    this.random = new SplittableRandom(seed);
  }

  /** A key for an item of weight {@code weight} (> 0, finite). */
  public double drawKey(double weight) {
    if (!(weight > 0) || !Double.isFinite(weight)) {
      throw new IllegalArgumentException(
          "reservoir weight must be finite and positive, was " + weight);
    }
    double u;
    do {
      u = random.nextDouble();
    } while (u == 0);
    return Math.log(u) / weight;
  }

  public boolean accepts(double key) {
    return heap.size() < capacity || key > heap.peek().key();
  }

  /**
   * Keeps the item if its key is among the largest {@code capacity}; returns whether it was kept.
   */
  public boolean add(double key, T item) {
    if (!accepts(key)) {
      return false;
    }
    heap.add(new Entry<>(key, item));
    if (heap.size() > capacity) {
      heap.poll();
    }
    return true;
  }

  /** Draws a key and offers the item. */
  public boolean offer(double weight, T item) {
    return add(drawKey(weight), item);
  }

  public int size() {
    return heap.size();
  }

  public int capacity() {
    return capacity;
  }

  /** The kept entries, largest key first. */
  public List<Entry<T>> entries() {
    List<Entry<T>> out = new ArrayList<>(heap);
    out.sort(Comparator.comparingDouble((Entry<T> e) -> e.key()).reversed());
    return out;
  }

  /** The kept entries (largest key first), and an empty reservoir. */
  public List<Entry<T>> drain() {
    List<Entry<T>> out = entries();
    heap.clear();
    return out;
  }

  /**
   * The {@code capacity} largest keys of several reservoirs' entries: a weighted sample of their
   * union.
   */
  public static <T> List<Entry<T>> merge(List<Entry<T>> entries, int capacity) {
    List<Entry<T>> out = new ArrayList<>(entries);
    out.sort(Comparator.comparingDouble((Entry<T> e) -> e.key()).reversed());
    return out.subList(0, Math.min(capacity, out.size()));
  }
}
