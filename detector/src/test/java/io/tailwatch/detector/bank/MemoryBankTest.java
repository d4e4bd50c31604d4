package io.tailwatch.detector.bank;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tailwatch.detector.features.BackboneModel;
import io.tailwatch.detector.features.PatchEmbeddingSpec;
import io.tailwatch.detector.testing.TestBanks;
import io.tailwatch.detector.testing.TinyBackbone;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MemoryBankTest {
  @TempDir Path dir;

  private Path written(int count, int dim) throws Exception {
    float[] data = new float[count * dim];
    Random r = new Random(1);
    for (int i = 0; i < data.length; i++) {
      data[i] = r.nextFloat();
    }
    Path p = dir.resolve("bank.twb");
    MemoryBank.of(TestBanks.header(dim), data, count).write(p);
    return p;
  }

  @Test
  void roundTripsHeaderAndVectors() throws Exception {
    float[] data = {1, 2, 3, 4, 5, 6};
    MemoryBank bank = MemoryBank.of(TestBanks.header(3), data, 2);
    bank.write(dir.resolve("b.twb"));
    MemoryBank loaded = MemoryBank.load(dir.resolve("b.twb"));
    assertThat(loaded.header()).usingRecursiveComparison().isEqualTo(bank.header());
    assertThat(loaded.count()).isEqualTo(2);
    float[] v = new float[3];
    loaded.vector(1, v, 0);
    assertThat(v).containsExactly(4, 5, 6);
    assertThat(loaded.norms()).containsExactly(14, 77);
    assertThat(loaded.vectors().isDirect()).isTrue();
    assertThat(Files.size(dir.resolve("b.twb")) % 4).isZero();
  }

  @Test
  void refusesAFlippedBodyByte() throws Exception {
    Path p = written(100, 16);
    try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
      f.seek(f.length() - 10);
      int b = f.read();
      f.seek(f.length() - 10);
      f.write(b ^ 0x01);
    }
    assertThatThrownBy(() -> MemoryBank.load(p))
        .isInstanceOf(BankFormatException.class)
        .hasMessageContaining("checksum mismatch");
  }

  @Test
  void refusesTruncationBadMagicAndNewerVersions() throws Exception {
    Path p = written(100, 16);
    byte[] all = Files.readAllBytes(p);
    Files.write(p, java.util.Arrays.copyOf(all, all.length - 64));
    assertThatThrownBy(() -> MemoryBank.load(p)).hasMessageContaining("truncated");

    byte[] bad = all.clone();
    bad[0] = 'X';
    Files.write(p, bad);
    assertThatThrownBy(() -> MemoryBank.load(p)).hasMessageContaining("not a tailwatch bank");

    byte[] v2 = all.clone();
    v2[7] = 2;
    Files.write(p, v2);
    assertThatThrownBy(() -> MemoryBank.load(p))
        .hasMessageContaining("format version 2 is not supported");

    assertThatThrownBy(() -> MemoryBank.load(dir.resolve("missing.twb")))
        .hasMessageContaining("not found");
  }

  @Test
  void refusesABankOfAnotherBackbone() throws Exception {
    BackboneModel tiny = BackboneModel.load(TinyBackbone.write(dir, "tiny.onnx"));
    PatchEmbeddingSpec spec =
        new PatchEmbeddingSpec(tiny.layers(java.util.List.of("feat_a", "feat_b")), 3, 36, 16);
    MemoryBank other = MemoryBank.of(TestBanks.header(16), new float[16], 1);
    assertThatThrownBy(() -> other.requireCompatible(tiny, spec))
        .isInstanceOf(BankFormatException.class)
        .hasMessageContaining("was built with backbone b@1")
        .hasMessageContaining(tiny.id());

    // another file of the same graph and weights (renamed nodes, other producer) fits
    BankHeader.Backbone made = BankHeader.Backbone.of(tiny, spec);
    BankHeader.Backbone otherFile = otherFile(made, made.graphSha256());
    MemoryBank sameGraph = MemoryBank.of(madeWith(otherFile), new float[16], 1);
    sameGraph.requireCompatible(tiny, spec);
    // a bank of another graph says so
    BankHeader.Backbone otherGraph = otherFile(made, "ee".repeat(32));
    MemoryBank differentGraph = MemoryBank.of(madeWith(otherGraph), new float[16], 1);
    assertThatThrownBy(() -> differentGraph.requireCompatible(tiny, spec))
        .hasMessageContaining("another graph or other weights: graph sha256 eeeeeeeeeeee");
  }

  /**
   * {@code made}'s embedding from another model file, whose graph hashes to {@code graphSha256}.
   */
  static BankHeader.Backbone otherFile(BankHeader.Backbone made, String graphSha256) {
    return new BankHeader.Backbone(
        "tiny@ffff",
        made.name(),
        "ff".repeat(32),
        made.layers(),
        made.pretrainDim(),
        made.targetDim(),
        made.patchSize(),
        made.gridHeight(),
        made.gridWidth(),
        graphSha256);
  }

  /** A 16-dimensional test bank's header, its vectors made by {@code backbone}. */
  static BankHeader madeWith(BankHeader.Backbone backbone) {
    BankHeader h = TestBanks.header(16);
    return new BankHeader(
        h.formatVersion(),
        h.bankVersion(),
        h.dimension(),
        h.count(),
        h.bodySha256(),
        backbone,
        h.preprocessing(),
        h.createdAt(),
        h.method(),
        h.params(),
        h.calibration());
  }
}
