package io.tailwatch.detector.online;

import static org.assertj.core.api.Assertions.assertThat;

import io.tailwatch.detector.bank.BankHeader;
import io.tailwatch.detector.bank.MemoryBank;
import io.tailwatch.detector.image.Tiling;
import io.tailwatch.detector.scoring.ImageScoring;
import io.tailwatch.detector.scoring.TiledScoring;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BankMergerTest {
  private static MemoryBank bank(float... xy) {
    BankHeader h =
        new BankHeader(
            BankHeader.FORMAT_VERSION,
            "v1",
            2,
            0,
            null,
            new BankHeader.Backbone("b", "b", "sha", List.of("l"), 2, 2, 1, 1, 1),
            null,
            Instant.EPOCH,
            "patchcore",
            Map.of(),
            Map.of("mean", 1.0, "std", 0.5, "threshold", 2.0));
    return MemoryBank.of(h, xy, xy.length / 2);
  }

  private static float d2(float[] c, int i, float x, float y) {
    float dx = c[2 * i] - x;
    float dy = c[2 * i + 1] - y;
    return dx * dx + dy * dy;
  }

  @Test
  void aMergedBankIsScoredAsItsParentWas() {
    // a tiled, top-k bank updated online: without its tiling the job would score whole frames
    // against tile patches, without k compute other scores than its threshold was fitted on
    MemoryBank parent =
        ImageScoring.record(TiledScoring.record(bank(0, 0, 1, 0, 0, 1), new Tiling(256, 192)), 5);
    float[] c = {10, 10};
    BankMerger.Result r =
        BankMerger.merge(parent, c, new float[] {200}, 1, 1, 100, 0, "v2", Map.of(), 1);
    assertThat(r.added()).isEqualTo(1);
    assertThat(TiledScoring.of(r.bank())).isEqualTo(new Tiling(256, 192));
    assertThat(ImageScoring.topK(r.bank())).isEqualTo(5);
    assertThat(r.bank().header().params()).containsEntry("parent", "v1");
  }

  @Test
  void addsTheLeastCoveredCandidatesFirstAndKeepsTheBank(@TempDir Path dir) throws Exception {
    MemoryBank bank = bank(0, 0, 1, 0, 0, 1);
    // two candidates next to the bank, a far cluster of three around (10, 10), one at (-10, 0)
    float[] c = {0.1f, 0, 0, 0.9f, 10, 10, 10.2f, 10, 10, 10.2f, -10, 0};
    float[] d = new float[6];
    for (int i = 0; i < 6; i++) {
      d[i] = Math.min(d2(c, i, 0, 0), Math.min(d2(c, i, 1, 0), d2(c, i, 0, 1)));
    }
    BankMerger.Result r =
        BankMerger.merge(bank, c, d, 6, 2, 100, 0, "v2", Map.of("weighting", "gaussian"), 1);
    assertThat(r.added()).isEqualTo(2);
    assertThat(r.capped()).isFalse();
    MemoryBank merged = r.bank();
    assertThat(merged.count()).isEqualTo(5);
    float[] v = new float[2];
    merged.vector(3, v, 0);
    assertThat(v).containsExactly(10.2f, 10f); // farthest from the bank
    merged.vector(4, v, 0);
    assertThat(v)
        .containsExactly(-10f, 0f); // then the farthest from bank + first pick, not its neighbours
    merged.vector(0, v, 0);
    assertThat(v).containsExactly(0f, 0f);
    assertThat(merged.header().bankVersion()).isEqualTo("v2");
    assertThat(merged.header().method()).isEqualTo("online-update");
    assertThat(merged.header().params())
        .containsEntry("parent", "v1")
        .containsEntry("added", 2)
        .containsEntry("weighting", "gaussian");
    assertThat(merged.header().calibration()).isEqualTo(bank.header().calibration());
    Path file = dir.resolve("v2.twb");
    merged.write(file);
    assertThat(MemoryBank.load(file).header().bodySha256()).isEqualTo(merged.header().bodySha256());
  }

  @Test
  void coveredCandidatesAddNothingAndTheCapHolds() {
    MemoryBank bank = bank(0, 0, 1, 0, 0, 1, 1, 1);
    float[] same = {0, 0, 1, 1};
    BankMerger.Result none =
        BankMerger.merge(bank, same, new float[] {0, 0}, 2, 10, 100, 0, "v2", null, 1);
    assertThat(none.added()).isZero();
    assertThat(none.bank().count()).isEqualTo(4);
    float[] far = {5, 5, 6, 6, 7, 7};
    BankMerger.Result capped =
        BankMerger.merge(bank, far, new float[] {32, 50, 72}, 3, 3, 5, 0, "v3", null, 1);
    assertThat(capped.capped()).isTrue();
    assertThat(capped.bank().count()).isEqualTo(5);
  }

  @Test
  void candidatesWithinTheResolutionAreCoveredAndTheResolutionIsCarriedForward() {
    MemoryBank bank = bank(0, 0, 1, 0, 0, 1, 1, 1);
    // squared distances to the bank: 0.25 (inside a resolution of 0.5), 0.49 (inside), 0.81
    // (outside), 25
    float[] c = {0.5f, 0, 1.7f, 1, -0.9f, 0, 6, 1};
    float[] d = {0.25f, 0.49f, 0.81f, 25};
    BankMerger.Result r = BankMerger.merge(bank, c, d, 4, 10, 100, 0.5, "v2", null, 1);
    assertThat(r.added()).as("only the two candidates beyond the resolution").isEqualTo(2);
    float[] v = new float[2];
    r.bank().vector(4, v, 0);
    assertThat(v).containsExactly(6f, 1f);
    r.bank().vector(5, v, 0);
    assertThat(v).containsExactly(-0.9f, 0f);
    assertThat(r.bank().header().params()).containsEntry(BankMerger.RESOLUTION_PARAM, 0.5);
    assertThat(BankMerger.resolution2(r.bank(), 0.05, 1))
        .as("a recorded resolution wins")
        .isEqualTo(0.5);
    assertThat(BankMerger.resolution2(r.bank(), 0, 1))
        .as("quantile 0: densify, whatever was recorded")
        .isZero();

    // a candidate covered by an earlier pick (not by the bank) is not added either
    float[] pair = {10, 0, 10.5f, 0};
    BankMerger.Result one =
        BankMerger.merge(bank, pair, new float[] {81, 90.25f}, 2, 10, 100, 0.5, "v3", null, 1);
    assertThat(one.added()).isEqualTo(1);
    assertThat(
            BankMerger.merge(bank, pair, new float[] {81, 90.25f}, 2, 10, 100, 0, "v3", null, 1)
                .added())
        .as("without a resolution both are added")
        .isEqualTo(2);
  }

  @Test
  void spacingIsTheQuantileOfNearestOtherVectorDistances() {
    // a 1-d comb at 0, 1, 3, 6 (second coordinate 0): nearest-other squared distances 1, 1, 4, 9
    MemoryBank bank = bank(0, 0, 1, 0, 3, 0, 6, 0);
    assertThat(BankMerger.spacing2(bank, 0, 1)).isEqualTo(1.0);
    assertThat(BankMerger.spacing2(bank, 0.5, 1)).isEqualTo(4.0);
    assertThat(BankMerger.spacing2(bank, 1, 1)).isEqualTo(9.0);
    assertThat(BankMerger.resolution2(bank, 0.5, 1))
        .as("no recorded resolution: the spacing")
        .isEqualTo(4.0);
    assertThat(BankMerger.spacing2(bank(2, 2), 0.5, 1)).as("one vector").isZero();
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> BankMerger.resolution2(bank, 1.5, 1))
        .hasMessageContaining("[0, 1]");
  }

  /**
   * A bank at its cap takes an update by pruning, not by a coreset of the whole bank: of the old
   * vectors, near-duplicates go (their twins stay), the vectors just added all stay, and a 200,000
   * vector bank at its cap takes 1,024 new ones in seconds (a coreset to the cap took minutes).
   */
  @Test
  void aBankAtItsCapPrunesNearDuplicatesAndKeepsWhatWasAdded() {
    java.util.Random random = new java.util.Random(5);
    int spread = 4000;
    int twins = 1000;
    float[] xy = new float[(spread + twins) * 2];
    for (int i = 0; i < spread; i++) { // a 1000 x 1000 grid's points: spacing >= 1
      xy[2 * i] = (i % 63) * 16 + random.nextInt(8);
      xy[2 * i + 1] = (i / 63) * 16 + random.nextInt(8);
    }
    for (int i = 0; i < twins; i++) { // a near-copy of the first 1,000 points
      xy[2 * (spread + i)] = xy[2 * i] + 0.01f;
      xy[2 * (spread + i) + 1] = xy[2 * i + 1];
    }
    MemoryBank bank = bank(xy);
    float[] far = new float[100 * 2];
    float[] farD = new float[100];
    for (int i = 0; i < 100; i++) {
      far[2 * i] = 5000 + 10 * i;
      far[2 * i + 1] = 5000;
      farD[i] = 1e6f;
    }
    int cap = spread + twins; // full already: every added vector must push one out
    BankMerger.Result r = BankMerger.merge(bank, far, farD, 100, 100, cap, 0, "v2", null, 3);
    assertThat(r.capped()).isTrue();
    assertThat(r.added()).isEqualTo(100);
    assertThat(r.bank().count()).isEqualTo(cap);
    assertThat(r.bank().header().params()).containsEntry("capReduction", "prune");
    float[] v = new float[2];
    int farKept = 0;
    java.util.Set<Long> kept = new java.util.HashSet<>();
    for (int i = 0; i < cap; i++) {
      r.bank().vector(i, v, 0);
      if (v[0] >= 5000) {
        farKept++;
      }
      kept.add(((long) Math.round(v[0] * 100)) << 32 | Math.round(v[1] * 100));
    }
    assertThat(farKept).as("every added vector kept").isEqualTo(100);
    // the 100 dropped are twins: of every pair, one copy stays
    for (int i = 0; i < twins; i++) {
      long a = ((long) Math.round(xy[2 * i] * 100)) << 32 | Math.round(xy[2 * i + 1] * 100);
      long b =
          ((long) Math.round(xy[2 * (spread + i)] * 100)) << 32
              | Math.round(xy[2 * (spread + i) + 1] * 100);
      assertThat(kept.contains(a) || kept.contains(b)).as("pair " + i).isTrue();
    }
    for (int i = twins; i < spread; i++) {
      long a = ((long) Math.round(xy[2 * i] * 100)) << 32 | Math.round(xy[2 * i + 1] * 100);
      assertThat(kept).as("point " + i + " has no twin: kept").contains(a);
    }
  }

  @Test
  void aTwoHundredThousandBankAtItsCapTakesAnUpdateByPruning() {
    int n = 200_000;
    int dim = 128;
    java.util.Random random = new java.util.Random(9);
    float[] vectors = new float[n * dim];
    for (int i = 0; i < vectors.length; i++) {
      vectors[i] = (float) random.nextGaussian();
    }
    BankHeader h =
        new BankHeader(
            BankHeader.FORMAT_VERSION,
            "big",
            dim,
            0,
            null,
            new BankHeader.Backbone("b", "b", "sha", List.of("l"), dim, dim, 1, 1, 1),
            null,
            Instant.EPOCH,
            "patchcore",
            Map.of(),
            null);
    MemoryBank bank = MemoryBank.of(h, vectors, n);
    int added = 1024;
    float[] c = new float[added * dim];
    float[] d = new float[added];
    for (int i = 0; i < c.length; i++) {
      c[i] = 20 + (float) random.nextGaussian();
    }
    java.util.Arrays.fill(d, 1e4f);
    long start = System.nanoTime();
    BankMerger.Result r = BankMerger.merge(bank, c, d, added, added, n, 0, "v2", null, 1);
    double seconds = (System.nanoTime() - start) / 1e9;
    assertThat(r.bank().count()).isEqualTo(n);
    assertThat(r.added()).isEqualTo(added);
    assertThat(r.bank().header().params()).containsEntry("capReduction", "prune");
    System.out.printf("200k x 128 bank at its cap + 1,024 vectors: merged in %.1f s%n", seconds);
  }
}
