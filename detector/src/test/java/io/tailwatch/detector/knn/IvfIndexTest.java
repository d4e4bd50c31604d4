package io.tailwatch.detector.knn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tailwatch.detector.bank.BankFormatException;
import io.tailwatch.detector.bank.IvfLayout;
import io.tailwatch.detector.bank.MemoryBank;
import io.tailwatch.detector.onnx.ExecutionProvider;
import io.tailwatch.detector.testing.TestBanks;
import io.tailwatch.detector.util.Progress;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The IVF index: agreement with exact search when every list is probed, recall with a few probes on
 * clustered data, the exact distance to whatever row is reported, the bank file round trip and
 * corruption of the index detected.
 */
class IvfIndexTest {
  static final int DIM = 32;

  /** Rows around {@code clusters} Gaussian centres (patch features are clustered like this). */
  static float[] clustered(Random r, int n, int clusters) {
    float[] centres = new float[clusters * DIM];
    for (int i = 0; i < centres.length; i++) {
      centres[i] = (float) (4 * r.nextGaussian());
    }
    float[] v = new float[n * DIM];
    for (int i = 0; i < n; i++) {
      int c = r.nextInt(clusters);
      for (int x = 0; x < DIM; x++) {
        v[i * DIM + x] = centres[c * DIM + x] + (float) r.nextGaussian();
      }
    }
    return v;
  }

  static MemoryBank ivfBank(float[] data, int n, int lists, OnnxKnnScorer fp32) throws Exception {
    return IvfIndex.build(
        MemoryBank.of(TestBanks.header(DIM), data, n), lists, 8, 11, fp32, Progress.NONE);
  }

  static KnnResult search(MemoryBank bank, int probes, float[] queries, int q) throws Exception {
    try (OnnxKnnScorer knn = OnnxKnnScorer.open(ExecutionProvider.CPU, 2).ivfProbes(probes);
        OnnxKnnScorer.Index index = knn.index(bank)) {
      assertThat(index.probes())
          .isEqualTo(bank.ivf() == null ? 0 : Math.min(probes, bank.ivf().lists()));
      return knn.search(index, queries, q);
    }
  }

  @Test
  void probingEveryListIsExactSearch() throws Exception {
    Random r = new Random(1);
    int n = 4000;
    int q = 900;
    float[] data = clustered(r, n, 40);
    float[] queries = clustered(r, q, 40);
    try (OnnxKnnScorer fp32 = OnnxKnnScorer.open(ExecutionProvider.CPU, 2)) {
      MemoryBank bank = ivfBank(data, n, 24, fp32);
      IvfLayout layout = bank.ivf();
      assertThat(layout.lists()).isEqualTo(24);
      assertThat(layout.count()).isEqualTo(n);
      for (int l = 0; l < layout.lists(); l++) {
        assertThat(layout.listSize(l)).as("list %d", l).isPositive();
      }
      // the rows are put into lists a block at a time: the block size changes nothing
      MemoryBank blocked =
          IvfIndex.build(
              MemoryBank.of(TestBanks.header(DIM), data, n), 24, 8, 11, fp32, Progress.NONE, 1000);
      assertThat(blocked.ivf().offsets()).isEqualTo(layout.offsets());
      assertThat(blocked.header().bodySha256()).isEqualTo(bank.header().bodySha256());
      KnnResult exact = search(bank, 0, queries, q);
      KnnResult all = search(bank, 24, queries, q);
      assertThat(all.indices()).isEqualTo(exact.indices());
      for (int i = 0; i < q; i++) {
        assertThat(all.distances()[i])
            .isCloseTo(exact.distances()[i], Offset.offset(1e-3f * (1 + exact.distances()[i])));
      }
    }
  }

  @Test
  void fewProbesFindMostNeighboursAndReportExactDistancesToWhatTheyFind() throws Exception {
    Random r = new Random(2);
    int n = 6000;
    int q = 1000;
    float[] data = clustered(r, n, 50);
    float[] queries = clustered(r, q, 50);
    try (OnnxKnnScorer fp32 = OnnxKnnScorer.open(ExecutionProvider.CPU, 2)) {
      MemoryBank bank = ivfBank(data, n, 32, fp32);
      KnnResult exact = search(bank, 0, queries, q);
      KnnResult approx = search(bank, 4, queries, q);
      int same = 0;
      float[] row = new float[DIM];
      for (int i = 0; i < q; i++) {
        if (approx.indices()[i] == exact.indices()[i]) {
          same++;
        }
        // never closer than the true neighbour, and the distance of the row it names
        assertThat(approx.distances()[i])
            .isGreaterThanOrEqualTo(exact.distances()[i] - 1e-3f * (1 + exact.distances()[i]));
        bank.vector(approx.indices()[i], row, 0);
        double d = 0;
        for (int x = 0; x < DIM; x++) {
          double t = queries[i * DIM + x] - row[x];
          d += t * t;
        }
        assertThat((double) approx.distances()[i]).isCloseTo(d, Offset.offset(1e-3 * (1 + d)));
      }
      assertThat(same / (double) q).as("recall@1 with 4 of 32 lists").isGreaterThan(0.9);
      // an int8 scorer searches the lists in float too: the same answers
      try (OnnxKnnScorer int8 =
              OnnxKnnScorer.open(ExecutionProvider.CPU, 2, KnnPrecision.INT8).ivfProbes(4);
          OnnxKnnScorer.Index index = int8.index(bank)) {
        assertThat(int8.search(index, queries, q).indices()).isEqualTo(approx.indices());
      }
      KnnResult one = search(bank, 1, queries, q);
      int sameOne = 0;
      for (int i = 0; i < q; i++) {
        sameOne += one.indices()[i] == exact.indices()[i] ? 1 : 0;
      }
      assertThat(sameOne).as("one probe finds fewer than four").isLessThan(same);
    }
  }

  @Test
  void theIndexTravelsInTheBankFileAndCorruptionIsCaught(@TempDir Path dir) throws Exception {
    Random r = new Random(3);
    int n = 3000;
    float[] data = clustered(r, n, 30);
    float[] weights = new float[n];
    for (int i = 0; i < n; i++) {
      weights[i] = 0.5f + i / (float) n;
    }
    float[] queries = clustered(r, 300, 30);
    Path file = dir.resolve("ivf.twb");
    MemoryBank built;
    try (OnnxKnnScorer fp32 = OnnxKnnScorer.open(ExecutionProvider.CPU, 2)) {
      MemoryBank weighted = MemoryBank.weighted(TestBanks.header(DIM), data, n, weights);
      built = IvfIndex.build(weighted, 16, 5, 7, fp32, Progress.NONE);
    }
    // rows and their weights move together
    float[] row = new float[DIM];
    for (int i = 0; i < n; i += 97) {
      built.vector(i, row, 0);
      int original = find(data, n, row);
      assertThat(built.weights()[i]).isEqualTo(weights[original]);
    }
    built.write(file);
    MemoryBank loaded = MemoryBank.load(file);
    assertThat(loaded.header().hasIvf()).isTrue();
    assertThat(loaded.header().index().lists()).isEqualTo(16);
    assertThat(loaded.ivf().offsets()).isEqualTo(built.ivf().offsets());
    assertThat(loaded.ivf().centroids()).isEqualTo(built.ivf().centroids());
    assertThat(loaded.header().bodySha256()).isEqualTo(built.header().bodySha256());
    assertThat(search(loaded, 3, queries, 300).indices())
        .isEqualTo(search(built, 3, queries, 300).indices());
    assertThat(Files.size(file))
        .as("vectors + weights + centroids + offsets")
        .isGreaterThanOrEqualTo(n * (DIM + 1) * 4L + 16L * DIM * 4 + 17 * 4);

    // a flipped byte in the last list offset: the body checksum no longer matches
    Path corrupt = dir.resolve("corrupt.twb");
    Files.copy(file, corrupt);
    try (RandomAccessFile f = new RandomAccessFile(corrupt.toFile(), "rw")) {
      long at = f.length() - 2;
      f.seek(at);
      int b = f.read();
      f.seek(at);
      f.write(b ^ 0x40);
    }
    assertThatThrownBy(() -> MemoryBank.load(corrupt))
        .isInstanceOf(BankFormatException.class)
        .hasMessageContaining("checksum mismatch");

    // a header that claims another list count does not match the file's size
    Path relisted = dir.resolve("relisted.twb");
    byte[] bytes = Files.readAllBytes(file);
    String text = new String(bytes, java.nio.charset.StandardCharsets.ISO_8859_1);
    Files.write(
        relisted,
        text.replace("\"lists\":16", "\"lists\":17")
            .getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
    assertThatThrownBy(() -> MemoryBank.load(relisted))
        .isInstanceOf(BankFormatException.class)
        .hasMessageContaining("ivf 17 lists");
  }

  static int find(float[] data, int n, float[] row) {
    outer:
    for (int i = 0; i < n; i++) {
      for (int x = 0; x < DIM; x++) {
        if (data[i * DIM + x] != row[x]) {
          continue outer;
        }
      }
      return i;
    }
    throw new AssertionError("row not in the original bank");
  }

  @Test
  void aBankWithoutAnIndexIsSearchedExactlyAndBadLayoutsAreRefused() throws Exception {
    Random r = new Random(4);
    int n = 2000;
    float[] data = clustered(r, n, 20);
    float[] queries = clustered(r, 200, 20);
    MemoryBank plain = MemoryBank.of(TestBanks.header(DIM), data, n);
    assertThat(search(plain, 8, queries, 200).indices())
        .isEqualTo(search(plain, 0, queries, 200).indices());

    assertThatThrownBy(() -> new IvfLayout(2, DIM, new float[2 * DIM], new int[] {0, 5, 3}))
        .hasMessageContaining("decrease");
    assertThatThrownBy(() -> new IvfLayout(2, DIM, new float[DIM], new int[] {0, 1, 2}))
        .hasMessageContaining("centroids");
    try (OnnxKnnScorer fp32 = OnnxKnnScorer.open(ExecutionProvider.CPU, 1)) {
      assertThatThrownBy(() -> IvfIndex.build(plain, n + 1, 2, 1, fp32, Progress.NONE))
          .hasMessageContaining("ivf lists must be in [1, " + n + "]");
    }
    try (OnnxKnnScorer knn = OnnxKnnScorer.open(ExecutionProvider.CPU, 1)) {
      assertThatThrownBy(() -> knn.ivfProbes(-1)).hasMessageContaining("at least 0");
    }
    assertThat(IvfIndex.defaultLists(20_000)).as("20000 / 39 rows per list").isEqualTo(512);
    assertThat(IvfIndex.defaultLists(1_000_000)).isEqualTo(4000);
    assertThat(IvfIndex.defaultLists(100)).isEqualTo(2);
  }
}
