package io.tailwatch.flink.adapt;

import static org.assertj.core.api.Assertions.assertThat;

import io.tailwatch.detector.bank.BankHeader;
import io.tailwatch.detector.bank.MemoryBank;
import io.tailwatch.schemas.BankUpdate;
import java.net.URI;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.TwoInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BankUpdateBuilderTest {
  static {
    // the harness serialises BankUpdate records with Avro: register the schema classes with its
    // class-trust check
    // (run alone, no other test did it first)
    io.tailwatch.schemas.AvroSerdes.forType(io.tailwatch.schemas.BankUpdate.class);
  }

  /** A 2-d bank's header, version v1. */
  static BankHeader header() {
    return new BankHeader(
        BankHeader.FORMAT_VERSION,
        "v1",
        2,
        0,
        null,
        new BankHeader.Backbone("bb", "bb", "sha", List.of("l"), 2, 2, 1, 1, 1),
        null,
        Instant.EPOCH,
        "patchcore",
        Map.of(),
        null);
  }

  static BankCandidate candidate(String id, double key, float x, float y, float d2) {
    BankCandidate c = new BankCandidate();
    c.scope = "line-1/camera";
    c.frameId = id;
    c.bankVersion = "v1";
    c.key = key;
    c.weight = 1;
    c.dim = 2;
    c.count = 1;
    c.vectors = new float[] {x, y};
    c.distances = new float[] {d2};
    return c;
  }

  @Test
  void mergesTheTopKeyedCandidatesWritesAVersionAndAnnouncesIt(@TempDir Path dir) throws Exception {
    Path initial = dir.resolve("initial.twb");
    BankHeader h = header();
    MemoryBank.of(h, new float[] {0, 0, 1, 1}, 2).write(initial);
    BankUpdateBuilder builder =
        new BankUpdateBuilder(
            initial.toString(), dir.resolve("banks").toString(), 2, 10, 100, 50, "gaussian", 0);
    try (var t =
        new TwoInputStreamOperatorTestHarness<BankCandidate, BankUpdate, BankUpdate>(builder)) {
      t.open();
      t.setProcessingTime(0);
      t.processElement1(new StreamRecord<>(candidate("a", -0.1, 5, 5, 50)));
      t.processElement1(
          new StreamRecord<>(candidate("b", -3.0, 9, 9, 162))); // lowest key: not sampled
      t.processElement1(new StreamRecord<>(candidate("c", -0.2, -5, 5, 50)));
      assertThat(t.extractOutputValues()).isEmpty();
      t.setProcessingTime(50);
      builder.awaitBuild(); // the merge runs on the builder's worker thread
      List<BankUpdate> out = t.extractOutputValues();
      assertThat(out).hasSize(1);
      BankUpdate u = out.get(0);
      assertThat(u.getReason()).isEqualTo("scheduled-update");
      assertThat(u.getCount()).isEqualTo(4);
      MemoryBank written = MemoryBank.load(Path.of(URI.create(u.getBankUri())));
      assertThat(written.header().bodySha256()).isEqualTo(u.getSha256());
      // named after its content: the update's sequence alone repeats after a restart from scratch
      assertThat(u.getBankVersion()).isEqualTo("v1-u1-" + u.getSha256().substring(0, 12));
      assertThat(written.header().bankVersion()).isEqualTo(u.getBankVersion());
      assertThat(Path.of(URI.create(u.getBankUri())).getFileName().toString())
          .isEqualTo(u.getBankVersion() + ".twb");
      assertThat(written.header().params())
          .containsEntry("parent", "v1")
          .containsEntry("frames", 2)
          .containsEntry("weighting", "gaussian");
      float[] v = new float[2];
      for (int i = 2; i < 4; i++) {
        written.vector(i, v, 0);
        assertThat(v[0]).as("sampled candidates only").isNotEqualTo(9f);
      }

      // an operator rolls back to v1: the next version builds on v1, not on v1-u1
      t.processElement2(
          new StreamRecord<>(
              BankUpdate.newBuilder(u)
                  .setBankVersion("v1")
                  .setBankUri(initial.toUri().toString())
                  .setSha256(MemoryBank.load(initial).header().bodySha256())
                  .setReason("rollback")
                  .build()));
      t.processElement1(new StreamRecord<>(candidate("d", -0.1, 7, -7, 98)));
      t.setProcessingTime(200);
      builder.awaitBuild();
      BankUpdate second = t.extractOutputValues().get(1);
      assertThat(second.getBankVersion()).isEqualTo("v1-u2-" + second.getSha256().substring(0, 12));
      assertThat(second.getCount()).isEqualTo(3);
      assertThat(MemoryBank.load(Path.of(URI.create(second.getBankUri()))).header().params())
          .containsEntry("parent", "v1");
    }
  }

  /**
   * A bank fitted with an IVF index keeps one through online updates: the merged bank's index is
   * rebuilt (on the worker) over all of its rows, the lists following the sqrt(N) rule from the
   * current bank's, and it is in the announced checksum.
   */
  @Test
  void anIndexedBankIsReindexedWhenMerged(@TempDir Path dir) throws Exception {
    java.util.Random r = new java.util.Random(5);
    int n = 4000;
    float[] rows = new float[n * 2];
    for (int i = 0; i < rows.length; i++) {
      rows[i] = (float) r.nextGaussian();
    }
    BankHeader h = header();
    Path initial = dir.resolve("initial.twb");
    try (var fp32 =
        io.tailwatch.detector.knn.OnnxKnnScorer.open(
            io.tailwatch.detector.onnx.ExecutionProvider.CPU, 1)) {
      io.tailwatch.detector.knn.IvfIndex.build(
              MemoryBank.of(h, rows, n), 40, 4, 1, fp32, io.tailwatch.detector.util.Progress.NONE)
          .write(initial);
    }
    BankUpdateBuilder builder =
        new BankUpdateBuilder(
            initial.toString(),
            dir.resolve("banks").toString(),
            3000,
            5000,
            10000,
            50,
            "gaussian",
            0);
    try (var t =
        new TwoInputStreamOperatorTestHarness<BankCandidate, BankUpdate, BankUpdate>(builder)) {
      t.open();
      t.setProcessingTime(0);
      for (int i = 0; i < 3000; i++) {
        t.processElement1(
            new StreamRecord<>(candidate("f" + i, -0.1, 10 + i * 0.01f, 10 - i * 0.01f, 100)));
      }
      t.setProcessingTime(50);
      builder.awaitBuild();
      BankUpdate u = t.extractOutputValues().get(0);
      MemoryBank written = MemoryBank.load(Path.of(URI.create(u.getBankUri())), u.getSha256());
      assertThat(written.count()).isGreaterThan(n);
      assertThat(written.header().hasIvf()).isTrue();
      assertThat(written.ivf().count()).isEqualTo(written.count());
      // 40 lists for 4,000 rows, by sqrt(N) for the merged count
      assertThat(written.ivf().lists())
          .isEqualTo((int) Math.round(40 * Math.sqrt(written.count() / 4000.0)));
      // the added rows are findable through the index: one of them, probed with one list
      try (var knn =
              io.tailwatch.detector.knn.OnnxKnnScorer.open(
                      io.tailwatch.detector.onnx.ExecutionProvider.CPU, 1)
                  .ivfProbes(1);
          var index = knn.index(written)) {
        var found = knn.search(index, new float[] {10.5f, 9.5f}, 1);
        assertThat(found.distances()[0]).isLessThan(1e-4f);
      }
    }
  }

  /**
   * A merge that brings a 200,000-vector bank down to a lowered cap (100,000: a coreset of the
   * whole bank, minutes on 2 cores; an update at an unchanged cap prunes in seconds,
   * BankMergerTest) runs on the builder's worker: a checkpoint taken meanwhile completes at once
   * and holds the candidates of the running build, and closing the task stops the merge.
   */
  @Test
  void aMergeAtA200kCapDoesNotHoldACheckpoint(@TempDir Path dir) throws Exception {
    int n = 200_000;
    int dim = 8;
    java.util.Random random = new java.util.Random(3);
    float[] vectors = new float[n * dim];
    for (int i = 0; i < vectors.length; i++) {
      vectors[i] = (float) random.nextGaussian();
    }
    Path initial = dir.resolve("initial.twb");
    BankHeader h =
        new BankHeader(
            BankHeader.FORMAT_VERSION,
            "big",
            dim,
            n,
            null,
            new BankHeader.Backbone("bb", "bb", "sha", List.of("l"), dim, dim, 1, 1, 1),
            null,
            Instant.EPOCH,
            "patchcore",
            Map.of(),
            null);
    MemoryBank.of(h, vectors, n).write(initial);
    BankUpdateBuilder builder =
        new BankUpdateBuilder(
            initial.toString(),
            dir.resolve("banks").toString(),
            64,
            1000,
            n / 2,
            10,
            "gaussian",
            0);
    var t = new TwoInputStreamOperatorTestHarness<BankCandidate, BankUpdate, BankUpdate>(builder);
    try {
      t.open();
      t.setProcessingTime(0);
      for (int f = 0; f < 64; f++) {
        BankCandidate c = new BankCandidate();
        c.scope = "line-1/camera";
        c.frameId = "f" + f;
        c.bankVersion = "big";
        c.weight = 1;
        c.key = -random.nextDouble();
        c.dim = dim;
        c.count = 16;
        c.vectors = new float[16 * dim];
        for (int i = 0; i < c.vectors.length; i++) {
          c.vectors[i] = 10 + (float) random.nextGaussian(); // far from the bank: all added
        }
        c.distances = new float[16];
        java.util.Arrays.fill(c.distances, 100f);
        t.processElement1(new StreamRecord<>(c));
      }
      t.setProcessingTime(10); // the build starts on the worker
      Thread.sleep(500);
      long start = System.nanoTime();
      var snapshot = t.snapshot(1, 10);
      long snapshotMs = (System.nanoTime() - start) / 1_000_000;
      assertThat(snapshotMs).as("checkpoint while the merge runs, ms").isLessThan(5_000);
      assertThat(builder.buildRunning())
          .as("the 200k merge was still running when the checkpoint completed")
          .isTrue();
      assertThat(snapshot.getManagedOperatorState()).isNotEmpty();
      assertThat(t.extractOutputValues()).isEmpty();
      // a cancelled task is closed without finish(): the merge stops at its next progress step
      long closing = System.nanoTime();
      builder.close();
      assertThat(builder.awaitWorkerStopped(30_000)).as("closing stops the merge").isTrue();
      System.out.printf(
          "200k merge: checkpoint %d ms while it ran; stopped %d ms after close%n",
          snapshotMs, (System.nanoTime() - closing) / 1_000_000);
    } finally {
      t.close();
    }
  }
}
