package io.tailwatch.detector.knn;

import static org.assertj.core.api.Assertions.assertThat;

import io.tailwatch.detector.bank.MemoryBank;
import io.tailwatch.detector.onnx.ExecutionProvider;
import io.tailwatch.detector.testing.TestBanks;
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

  /** The vectors written as a bank file and mapped back, as a served bank is. */
  static MemoryBank mapped(Path dir, float[] data, int k, int dim) throws Exception {
    Path file = dir.resolve("b.twb");
    MemoryBank.of(TestBanks.header(dim), data, k).write(file);
    return MemoryBank.load(file);
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
    MemoryBank bank = mapped(dir, bankData, k, dim); // memory-mapped: the zero-copy path
    try (OnnxKnnScorer knn = OnnxKnnScorer.open(ExecutionProvider.CPU, 1, 1024, 256);
        OnnxKnnScorer.Index index = knn.index(bank)) {
      KnnResult result = knn.search(index, queries, q);
      for (int i = 0; i < q; i++) {
        double[] truth = bruteForce(bankData, k, queries, i, dim);
        assertThat(result.indices()[i]).as("query %d", i).isEqualTo((int) truth[0]);
        assertThat((double) result.distances()[i])
            .isCloseTo(truth[1], org.assertj.core.data.Offset.offset(1e-3 * (1 + truth[1])));
      }
      assertThat(result.indices()[5]).isEqualTo(4321);
      assertThat(result.distances()[5]).isLessThan(1e-3f).isGreaterThanOrEqualTo(0f);
    }
  }

  /**
   * A resident bank (the chunks baked into their own sessions, as on a GPU) answers exactly as the
   * bank passed with every call, across several chunks; it is off by default on the CPU.
   */
  @Test
  void aResidentBankAnswersAsTheBankPassedWithEveryCall(@TempDir Path dir) throws Exception {
    Random r = new Random(9);
    int dim = 32;
    int k = 5000;
    int q = 600;
    float[] bankData = random(r, k * dim);
    float[] queries = random(r, q * dim);
    MemoryBank bank = mapped(dir, bankData, k, dim);
    try (OnnxKnnScorer plain = OnnxKnnScorer.open(ExecutionProvider.CPU, 1);
        OnnxKnnScorer resident =
            OnnxKnnScorer.open(ExecutionProvider.CPU, 1)
                .residentBank(true)
                .residentChunkRows(2048);
        OnnxKnnScorer.Index a = plain.index(bank);
        OnnxKnnScorer.Index b = resident.index(bank)) {
      assertThat(a.residentChunks()).isZero();
      assertThat(b.residentChunks()).isEqualTo(3); // 2048 + 2048 + 904 rows
      KnnResult x = plain.search(a, queries, q);
      KnnResult y = resident.search(b, queries, q);
      assertThat(y.indices()).isEqualTo(x.indices());
      for (int i = 0; i < q; i++) {
        assertThat(y.distances()[i])
            .isCloseTo(
                x.distances()[i],
                org.assertj.core.data.Offset.offset(1e-4f * (1 + x.distances()[i])));
      }
    }
  }

  /** Index and squared distance of the true nearest bank vector, by brute force in double. */
  static double[] bruteForce(float[] bank, int k, float[] queries, int i, int dim) {
    int best = -1;
    double bestD = Double.MAX_VALUE;
    for (int j = 0; j < k; j++) {
      double d = 0;
      for (int c = 0; c < dim; c++) {
        double t = queries[i * dim + c] - bank[j * dim + c];
        d += t * t;
      }
      if (d < bestD) {
        bestD = d;
        best = j;
      }
    }
    return new double[] {best, bestD};
  }

  @Test
  void int8CandidatesAreReRankedToExactDistances(@TempDir Path dir) throws Exception {
    Random r = new Random(5);
    int dim = 96;
    int k = 3000;
    int q = 600;
    float[] bankData = random(r, k * dim);
    float[] queries = new float[q * dim];
    // queries near bank vectors (noise sd 0.3 per coordinate): the nearest one is known and well
    // separated
    int[] near = new int[q];
    for (int i = 0; i < q; i++) {
      near[i] = r.nextInt(k);
      for (int c = 0; c < dim; c++) {
        queries[i * dim + c] = bankData[near[i] * dim + c] + 0.3f * (float) r.nextGaussian();
      }
    }
    MemoryBank.of(TestBanks.header(dim), bankData, k).write(dir.resolve("b.twb"));
    MemoryBank bank = MemoryBank.load(dir.resolve("b.twb"));
    try (OnnxKnnScorer knn =
            OnnxKnnScorer.open(ExecutionProvider.CPU, 1, 1000, 256, KnnPrecision.INT8, 4);
        OnnxKnnScorer.Index index = knn.index(bank)) {
      assertThat(knn.precision()).isEqualTo(KnnPrecision.INT8);
      KnnResult result = knn.search(index, queries, q);
      for (int i = 0; i < q; i++) {
        assertThat(result.indices()[i]).as("query %d", i).isEqualTo(near[i]);
        double[] truth = bruteForce(bankData, k, queries, i, dim);
        assertThat((double) result.distances()[i])
            .isCloseTo(truth[1], org.assertj.core.data.Offset.offset(1e-3 * (1 + truth[1])));
      }
    }
  }

  @Test
  void int8OnUnstructuredDataFindsAlmostAllNeighboursAndNeverMisreportsADistance(@TempDir Path dir)
      throws Exception {
    Random r = new Random(9);
    int dim = 128;
    int k = 6000;
    int q = 400;
    float[] bankData = random(r, k * dim);
    float[] queries =
        random(r, q * dim); // the hard case: neighbour distances concentrate in 128 dimensions
    MemoryBank.of(TestBanks.header(dim), bankData, k).write(dir.resolve("b.twb"));
    MemoryBank bank = MemoryBank.load(dir.resolve("b.twb"));
    try (OnnxKnnScorer knn =
            OnnxKnnScorer.open(ExecutionProvider.CPU, 1, 2048, 128, KnnPrecision.INT8, 4);
        OnnxKnnScorer.Index index = knn.index(bank)) {
      KnnResult result = knn.search(index, queries, q);
      int found = 0;
      double excess = 0;
      for (int i = 0; i < q; i++) {
        double[] truth = bruteForce(bankData, k, queries, i, dim);
        int m = result.indices()[i];
        double reported = 0;
        for (int c = 0; c < dim; c++) {
          double t = queries[i * dim + c] - bankData[m * dim + c];
          reported += t * t;
        }
        // whatever it picked, the distance is the true one to that vector
        assertThat((double) result.distances()[i])
            .isCloseTo(reported, org.assertj.core.data.Offset.offset(1e-3 * (1 + reported)));
        assertThat(reported).isGreaterThanOrEqualTo(truth[1] - 1e-6);
        found += m == (int) truth[0] ? 1 : 0;
        excess += reported / truth[1] - 1;
      }
      assertThat(found)
          .as("exact neighbours found of %d", q)
          .isGreaterThanOrEqualTo((int) (0.95 * q));
      assertThat(excess / q).as("mean relative distance excess").isLessThan(0.002);
    }
  }

  @Test
  void int8IsRefusedOnCudaAndAnIndexOfTheOtherPrecisionIsRefused() throws Exception {
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> OnnxKnnScorer.open(ExecutionProvider.CUDA, 1, KnnPrecision.INT8))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("CPU execution provider only");
    float[] v = random(new Random(1), 10 * 8);
    try (OnnxKnnScorer fp32 = OnnxKnnScorer.open(ExecutionProvider.CPU, 1);
        OnnxKnnScorer int8 = OnnxKnnScorer.open(ExecutionProvider.CPU, 1, KnnPrecision.INT8);
        OnnxKnnScorer.Index index = fp32.index(v, 10, 8)) {
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> int8.search(index, v, 10))
          .hasMessageContaining("index built for fp32");
      // a bank smaller than the candidate count still answers exactly
      try (OnnxKnnScorer.Index small = int8.index(v, 3, 8)) {
        KnnResult res = int8.search(small, v, 3);
        assertThat(res.indices()).containsExactly(0, 1, 2);
      }
    }
  }
}
