package io.tailwatch.detector.knn;

import static org.assertj.core.api.Assertions.assertThat;

import io.tailwatch.detector.testing.TestBanks;
import io.tailwatch.detector.bank.MemoryBank;
import io.tailwatch.detector.onnx.ExecutionProvider;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OnnxKnnScorerTest {
  static float[] random(Random r, int n) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) r.nextGaussian();
    }
    return v;
  }

  @Test
  void matchesBruteForceAcrossChunksAndQueryBlocks(@TempDir Path dir) throws Exception {
    Random r = new Random(3);
    int dim = 64;
    int k = 5000;
    int q = 700;
    float[] bankData = random(r, k * dim);
    float[] queries = random(r, q * dim);
    // some queries exactly on bank vectors: distance 0, index known
    System.arraycopy(bankData, 4321 * dim, queries, 5 * dim, dim);
    MemoryBank.of(TestBanks.header(dim), bankData, k).write(dir.resolve("b.twb"));
    MemoryBank bank = MemoryBank.load(dir.resolve("b.twb")); // memory-mapped: the zero-copy path
    try (OnnxKnnScorer knn = OnnxKnnScorer.open(ExecutionProvider.CPU, 1, 1024, 256);
        OnnxKnnScorer.Index index = knn.index(bank)) {
      KnnResult result = knn.search(index, queries, q);
      for (int i = 0; i < q; i++) {
        int best = -1;
        double bestD = Double.MAX_VALUE;
        for (int j = 0; j < k; j++) {
          double d = 0;
          for (int c = 0; c < dim; c++) {
            double t = queries[i * dim + c] - bankData[j * dim + c];
            d += t * t;
          }
          if (d < bestD) {
            bestD = d;
            best = j;
          }
        }
        assertThat(result.indices()[i]).as("query %d", i).isEqualTo(best);
        assertThat((double) result.distances()[i]).isCloseTo(bestD, org.assertj.core.data.Offset.offset(1e-3 * (1 + bestD)));
      }
      assertThat(result.indices()[5]).isEqualTo(4321);
      assertThat(result.distances()[5]).isLessThan(1e-3f).isGreaterThanOrEqualTo(0f);
    }
  }
}
