package io.tailwatch.detector.hyperspectral;

import java.util.Arrays;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.CholeskyDecomposition_F64;
import org.ejml.interfaces.decomposition.EigenDecomposition_F64;

/**
 * Dense symmetric linear algebra in double precision: mean/covariance and the triangular solve by
 * hand (plain loops over our own row-major arrays), Cholesky and the eigendecomposition from EJML.
 */
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

  /**
   * As {@link #cholesky(double[], int)}, into {@code l} (d x d, overwritten). EJML factors; the
   * pivots are then tested relative to the diagonal, since an exactly singular matrix leaves a
   * rounding-sized pivot, not always one <= 0.
   */
  static double[] cholesky(double[] c, int d, double[] l) {
    CholeskyDecomposition_F64<DMatrixRMaj> chol = DecompositionFactory_DDRM.chol(d, true);
    if (!chol.decompose(new DMatrixRMaj(d, d, true, c))) {
      throw notPositiveDefinite(-1, Double.NaN);
    }
    DMatrixRMaj lower = chol.getT(null);
    for (int i = 0; i < d; i++) {
      double pivot = lower.get(i, i);
      if (!(pivot * pivot > 1e-12 * Math.abs(c[i * d + i]))) {
        throw notPositiveDefinite(i, pivot * pivot);
      }
    }
    System.arraycopy(lower.data, 0, l, 0, d * d);
    return l;
  }

  private static IllegalArgumentException notPositiveDefinite(int pivot, double value) {
    return new IllegalArgumentException(
        "covariance is not positive definite"
            + (pivot >= 0 ? " (pivot " + pivot + " = " + value + ")" : "")
            + "; use a positive ridge");
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
   * Eigendecomposition of a symmetric matrix (EJML's symmetric QR algorithm).
   *
   * @return eigenvalues in descending order; {@code vectorsOut} (d x d row-major) gets the matching
   *     eigenvectors as columns
   */
  static double[] eigen(double[] c, int d, double[] vectorsOut) {
    EigenDecomposition_F64<DMatrixRMaj> eig = DecompositionFactory_DDRM.eig(d, true, true);
    if (!eig.decompose(new DMatrixRMaj(d, d, true, c))) {
      throw new IllegalArgumentException(
          "eigendecomposition of a " + d + " x " + d + " matrix did not converge");
    }
    Integer[] order = new Integer[d];
    for (int i = 0; i < d; i++) {
      order[i] = i;
    }
    Arrays.sort(
        order, (x, y) -> Double.compare(eig.getEigenvalue(y).real, eig.getEigenvalue(x).real));
    double[] values = new double[d];
    for (int j = 0; j < d; j++) {
      values[j] = eig.getEigenvalue(order[j]).real;
      DMatrixRMaj v = eig.getEigenVector(order[j]);
      for (int k = 0; k < d; k++) {
        vectorsOut[k * d + j] = v.get(k, 0);
      }
    }
    return values;
  }
}
