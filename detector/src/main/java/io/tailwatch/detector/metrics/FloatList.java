package io.tailwatch.detector.metrics;

import java.util.Arrays;

/** A growable primitive float list (pixel metrics collect tens of millions of scores). */
public final class FloatList {
  private float[] data;
  private int size;

  public FloatList() {
    this(1024);
  }

  public FloatList(int capacity) {
    data = new float[Math.max(16, capacity)];
  }

  public void add(float v) {
    if (size == data.length) {
      grow(size + 1);
    }
    data[size++] = v;
  }

  public void addAll(float[] values, int from, int to) {
    int n = to - from;
    if (size + n > data.length) {
      grow(size + n);
    }
    System.arraycopy(values, from, data, size, n);
    size += n;
  }

  private void grow(int min) {
    long next = Math.max(min, (long) data.length * 3 / 2);
    if (next > Integer.MAX_VALUE - 8) {
      throw new IllegalStateException("more than 2^31 scores");
    }
    data = Arrays.copyOf(data, (int) next);
  }

  public int size() {
    return size;
  }

  public float[] toSortedArray() {
    float[] out = Arrays.copyOf(data, size);
    Arrays.sort(out);
    return out;
  }
}
