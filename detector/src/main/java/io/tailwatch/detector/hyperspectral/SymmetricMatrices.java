package io.tailwatch.detector.hyperspectral;

/** Dense symmetric linear algebra in double precision: mean/covariance, Cholesky, Jacobi eigendecomposition. */
final class SymmetricMatrices {
  private SymmetricMatrices() {}

  /** Per-column mean of n rows of d values. */
  static double[] mean(float[] x, int n, int d) {
    double[] m = new double[d];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < d; j++) {
        m[j] += x[i * d + j];
      }
    }
    for (int j = 0; j < d; j++) {
      m[j] /= n;
    }
    return m;
  }

  /** Population covariance (divides by n), row-major d x d. */
  static double[] covariance(float[] x, int n, int d, double[] mean) {
    double[] c = new double[d * d];
    double[] row = new double[d];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < d; j++) {
        row[j] = x[i * d + j] - mean[j];
      }
      for (int a = 0; a < d; a++) {
        double ra = row[a];
        int o = a * d;
        for (int b = a; b < d; b++) {
          c[o + b] += ra * row[b];
        }
      }
    }
    for (int a = 0; a < d; a++) {
      for (int b = a; b < d; b++) {
        c[a * d + b] /= n;
        c[b * d + a] = c[a * d + b];
      }
    }
    return c;
  }

  static double trace(double[] c, int d) {
    double t = 0;
    for (int i = 0; i < d; i++) {
      t += c[i * d + i];
    }
    return t;
  }

  /**
   * Lower Cholesky factor L (row-major, upper part zero) with C = L L^T.
   *
   * @throws IllegalArgumentException if C is not positive definite
   */
  static double[] cholesky(double[] c, int d) {
    return cholesky(c, d, new double[d * d]);
  }

  /** As {@link #cholesky(double[], int)}, into {@code l} (d x d, overwritten; reused across many small solves). */
  static double[] cholesky(double[] c, int d, double[] l) {
    java.util.Arrays.fill(l, 0);
    for (int i = 0; i < d; i++) {
      for (int j = 0; j <= i; j++) {
        double s = c[i * d + j];
        for (int k = 0; k < j; k++) {
          s -= l[i * d + k] * l[j * d + k];
        }
        if (i == j) {
          // relative test: an exactly singular matrix leaves a rounding-sized pivot, not always <= 0
          if (!(s > 1e-12 * Math.abs(c[i * d + i]))) {
            throw new IllegalArgumentException("covariance is not positive definite (pivot " + i + " = " + s
                + "); use a positive ridge");
          }
          l[i * d + i] = Math.sqrt(s);
        } else {
          l[i * d + j] = s / l[j * d + j];
        }
      }
    }
    return l;
  }

  /** Solves L z = v in place (forward substitution) and returns z . z. */
  static double forwardSolveNorm2(double[] l, int d, double[] v) {
    double sum = 0;
    for (int i = 0; i < d; i++) {
      double s = v[i];
      int o = i * d;
      for (int k = 0; k < i; k++) {
        s -= l[o + k] * v[k];
      }
      s /= l[o + i];
      v[i] = s;
      sum += s * s;
    }
    return sum;
  }

  /**
   * Eigendecomposition of a symmetric matrix by cyclic Jacobi rotations.
   *
   * @return eigenvalues in descending order; {@code vectorsOut} (d x d row-major) gets the matching eigenvectors
   *     as columns
   */
  static double[] eigen(double[] c, int d, double[] vectorsOut) {
    double[] a = c.clone();
    double[] v = vectorsOut;
    java.util.Arrays.fill(v, 0);
    for (int i = 0; i < d; i++) {
      v[i * d + i] = 1;
    }
    for (int sweep = 0; sweep < 100; sweep++) {
      double off = 0;
      double diag = 0;
      for (int p = 0; p < d; p++) {
        diag += a[p * d + p] * a[p * d + p];
        for (int q = p + 1; q < d; q++) {
          off += a[p * d + q] * a[p * d + q];
        }
      }
      if (off <= 1e-22 * Math.max(diag, 1e-300)) {
        break;
      }
      for (int p = 0; p < d - 1; p++) {
        for (int q = p + 1; q < d; q++) {
          double apq = a[p * d + q];
          if (Math.abs(apq) < 1e-300) {
            continue;
          }
          double theta = (a[q * d + q] - a[p * d + p]) / (2 * apq);
          double t = Math.signum(theta) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
          if (theta == 0) {
            t = 1;
          }
          double cs = 1 / Math.sqrt(t * t + 1);
          double sn = t * cs;
          for (int k = 0; k < d; k++) {
            double akp = a[k * d + p];
            double akq = a[k * d + q];
            a[k * d + p] = cs * akp - sn * akq;
            a[k * d + q] = sn * akp + cs * akq;
          }
          for (int k = 0; k < d; k++) {
            double apk = a[p * d + k];
            double aqk = a[q * d + k];
            a[p * d + k] = cs * apk - sn * aqk;
            a[q * d + k] = sn * apk + cs * aqk;
          }
          for (int k = 0; k < d; k++) {
            double vkp = v[k * d + p];
            double vkq = v[k * d + q];
            v[k * d + p] = cs * vkp - sn * vkq;
            v[k * d + q] = sn * vkp + cs * vkq;
          }
        }
      }
    }
    Integer[] order = new Integer[d];
    for (int i = 0; i < d; i++) {
      order[i] = i;
    }
    double[] diagonal = new double[d];
    for (int i = 0; i < d; i++) {
      diagonal[i] = a[i * d + i];
    }
    java.util.Arrays.sort(order, (x, y) -> Double.compare(diagonal[y], diagonal[x]));
    double[] values = new double[d];
    double[] sorted = new double[d * d];
    for (int j = 0; j < d; j++) {
      values[j] = diagonal[order[j]];
      for (int k = 0; k < d; k++) {
        sorted[k * d + j] = v[k * d + order[j]];
      }
    }
    System.arraycopy(sorted, 0, v, 0, d * d);
    return values;
  }
}
