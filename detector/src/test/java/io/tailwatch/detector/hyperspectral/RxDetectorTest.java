package io.tailwatch.detector.hyperspectral;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class RxDetectorTest {
  static SpectralCube randomCube(int lines, int samples, int bands, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    float[] v = new float[lines * samples * bands];
    for (int p = 0; p < lines * samples; p++) {
      double common =
          r.nextDouble() * 4; // correlated bands, so the covariance is far from diagonal
      for (int b = 0; b < bands; b++) {
        v[p * bands + b] = (float) (common * (b + 1) + r.nextGaussian() * (1 + 0.3 * b));
      }
    }
    return new SpectralCube(lines, samples, bands, v);
  }

  /**
   * (x - mu)^T C^-1 (x - mu) with C^-1 by Gauss-Jordan elimination: a different route to the same
   * number.
   */
  static double[] direct(SpectralCube cube, double ridge) {
    int n = cube.pixels();
    int b = cube.bands();
    float[] x = cube.values();
    double[] mu = new double[b];
    for (int p = 0; p < n; p++) {
      for (int j = 0; j < b; j++) {
        mu[j] += x[p * b + j] / (double) n;
      }
    }
    double[][] c = new double[b][2 * b];
    for (int p = 0; p < n; p++) {
      for (int i = 0; i < b; i++) {
        for (int j = 0; j < b; j++) {
          c[i][j] += (x[p * b + i] - mu[i]) * (x[p * b + j] - mu[j]) / n;
        }
      }
    }
    double trace = 0;
    for (int i = 0; i < b; i++) {
      trace += c[i][i];
    }
    for (int i = 0; i < b; i++) {
      c[i][i] += ridge * trace / b;
      c[i][b + i] = 1;
    }
    for (int col = 0; col < b; col++) {
      int piv = col;
      for (int r = col + 1; r < b; r++) {
        if (Math.abs(c[r][col]) > Math.abs(c[piv][col])) {
          piv = r;
        }
      }
      double[] t = c[col];
      c[col] = c[piv];
      c[piv] = t;
      double d = c[col][col];
      for (int j = 0; j < 2 * b; j++) {
        c[col][j] /= d;
      }
      for (int r = 0; r < b; r++) {
        if (r != col) {
          double f = c[r][col];
          for (int j = 0; j < 2 * b; j++) {
            c[r][j] -= f * c[col][j];
          }
        }
      }
    }
    double[] out = new double[n];
    for (int p = 0; p < n; p++) {
      double s = 0;
      for (int i = 0; i < b; i++) {
        for (int j = 0; j < b; j++) {
          s += (x[p * b + i] - mu[i]) * c[i][b + j] * (x[p * b + j] - mu[j]);
        }
      }
      out[p] = s;
    }
    return out;
  }

  @Test
  void matchesDirectMahalanobisWithAndWithoutRidge() {
    SpectralCube cube = randomCube(6, 7, 5, 3);
    for (double ridge : new double[] {0, 1e-2}) {
      float[] rx = RxDetector.fit(cube, ridge).score(cube);
      double[] expected = direct(cube, ridge);
      for (int p = 0; p < rx.length; p++) {
        assertThat((double) rx[p])
            .as("ridge %s pixel %d", ridge, p)
            .isCloseTo(expected[p], within(1e-4 * Math.max(1, expected[p])));
      }
    }
  }

  @Test
  void meanScoreWithoutRidgeEqualsBandCount() {
    // sum of squared Mahalanobis distances of the fitting data = n * B with the population
    // covariance
    SpectralCube cube = randomCube(10, 10, 6, 9);
    float[] rx = RxDetector.fit(cube, 0).score(cube);
    double mean = 0;
    for (float v : rx) {
      mean += v / rx.length;
    }
    assertThat(mean).isCloseTo(6.0, within(1e-3));
  }

  @Test
  void singularCovarianceNeedsARidge() {
    float[] v = new float[20 * 3];
    for (int p = 0; p < 20; p++) {
      v[p * 3] = p;
      v[p * 3 + 1] = 2 * p; // band 1 = 2 x band 0: rank-deficient
      v[p * 3 + 2] = p % 3;
    }
    SpectralCube cube = new SpectralCube(4, 5, 3, v);
    assertThatThrownBy(() -> RxDetector.fit(cube, 0))
        .hasMessageContaining("not positive definite")
        .hasMessageContaining("ridge");
    for (float s : RxDetector.fit(cube, 1e-3).score(cube)) {
      assertThat(s).isFinite();
    }
    assertThat(RxDetector.fit(cube, 1e-3).describe()).contains("ridge=1e-03*trace/B");
  }
}
