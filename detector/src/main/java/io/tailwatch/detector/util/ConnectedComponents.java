package io.tailwatch.detector.util;

/** 8-connected component labelling of a binary mask (iterative flood fill, no recursion). */
public final class ConnectedComponents {
  private ConnectedComponents() {}

  /** Labels 1..k for the k components, 0 for background. */
  public static int[] label(boolean[] mask, int w, int h) {
    if (mask.length != w * h) {
      throw new IllegalArgumentException(
          "mask has " + mask.length + " pixels, " + w + "x" + h + " expected");
    }
    int[] label = new int[w * h];
    int[] stack = new int[w * h];
    int next = 0;
    for (int s = 0; s < w * h; s++) {
      if (!mask[s] || label[s] != 0) {
        continue;
      }
      next++;
      int sp = 0;
      stack[sp++] = s;
      label[s] = next;
      while (sp > 0) {
        int p = stack[--sp];
        int px = p % w;
        int py = p / w;
        for (int dy = -1; dy <= 1; dy++) {
          for (int dx = -1; dx <= 1; dx++) {
            int nx = px + dx;
            int ny = py + dy;
            if (nx >= 0 && ny >= 0 && nx < w && ny < h) {
              int q = ny * w + nx;
              if (mask[q] && label[q] == 0) {
                label[q] = next;
                stack[sp++] = q;
              }
            }
          }
        }
      }
    }
    return label;
  }
}
