package io.tailwatch.detector.bank;

/**
 * The inverted-file index of a bank whose vectors are stored grouped by their nearest centroid:
 * list {@code l} is rows {@code offsets[l] .. offsets[l+1]-1} of the bank, and {@code centroids}
 * holds the {@code lists x dim} list centres. A search compares a query with every centroid and
 * scans only the rows of its nearest few lists (IVF-Flat, as FAISS's {@code IndexIVFFlat}).
 */
public record IvfLayout(int lists, int dim, float[] centroids, int[] offsets) {
  public IvfLayout {
    if (lists < 1) {
      throw new IllegalArgumentException("ivf lists must be at least 1, was " + lists);
    }
    if (centroids.length != (long) lists * dim) {
      throw new IllegalArgumentException(
          "ivf centroids: " + centroids.length + " values for " + lists + " x " + dim);
    }
    if (offsets.length != lists + 1 || offsets[0] != 0) {
      throw new IllegalArgumentException(
          "ivf offsets: need " + (lists + 1) + " values starting at 0, got " + offsets.length);
    }
    for (int l = 0; l < lists; l++) {
      if (offsets[l + 1] < offsets[l]) {
        throw new IllegalArgumentException(
            "ivf offsets decrease at list " + l + ": " + offsets[l] + " > " + offsets[l + 1]);
      }
    }
  }

  /** Rows in the bank the layout covers. */
  public int count() {
    return offsets[lists];
  }

  public int listSize(int list) {
    return offsets[list + 1] - offsets[list];
  }

  /** Bytes the layout takes in a bank file's body: centroids (float32) then offsets (int32). */
  public long bodyBytes() {
    return bodyBytes(lists, dim);
  }

  static long bodyBytes(int lists, int dim) {
    return (long) lists * dim * 4 + (lists + 1L) * 4;
  }
}
