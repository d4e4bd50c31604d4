package io.tailwatch.detector.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class RareVariantStreamTest {
  final ProductLineSimulator line = new ProductLineSimulator(5, 64, 0.0);

  @Test
  void kindsFollowTheFrameNumber() {
    RareVariantStream s =
        new RareVariantStream(line, 50, 97, ProductLineSimulator.Variant.GRAIN, 0.6, 10_000);
    assertThat(s.kind(25)).isEqualTo(RareVariantStream.Kind.RARE);
    assertThat(s.kind(75)).isEqualTo(RareVariantStream.Kind.RARE);
    assertThat(s.kind(48)).isEqualTo(RareVariantStream.Kind.DEFECT);
    assertThat(s.kind(0)).isEqualTo(RareVariantStream.Kind.NORMAL);
    long rare =
        java.util.stream.IntStream.range(0, 1000)
            .filter(i -> s.kind(i) == RareVariantStream.Kind.RARE)
            .count();
    assertThat(rare).isEqualTo(20);
    assertThat(s.frame(48).defective()).isTrue();
    assertThat(s.frame(25).defective()).isFalse();
  }

  @Test
  void theRareFrameIsTheBlendOfBothFinishes() {
    RareVariantStream s =
        new RareVariantStream(line, 50, 97, ProductLineSimulator.Variant.MESH, 0.25, 10_000);
    byte[] rare = s.frame(25).gray();
    byte[] brushed = line.frame(10_025, ProductLineSimulator.Variant.BRUSHED, null).gray();
    byte[] mesh = line.frame(10_025, ProductLineSimulator.Variant.MESH, null).gray();
    for (int p = 0; p < rare.length; p++) {
      assertThat(rare[p] & 0xff)
          .isEqualTo((int) Math.round(0.75 * (brushed[p] & 0xff) + 0.25 * (mesh[p] & 0xff)));
    }
    assertThat(s.frame(24).gray())
        .isEqualTo(line.frame(10_024, ProductLineSimulator.Variant.BRUSHED, null).gray());
  }

  @Test
  void aFaintDefectIsTheDefectBlendedOverTheCleanFrame() {
    RareVariantStream full =
        new RareVariantStream(line, 50, 97, ProductLineSimulator.Variant.GRAIN, 0.6, 10_000);
    RareVariantStream faint =
        new RareVariantStream(line, 50, 97, ProductLineSimulator.Variant.GRAIN, 0.6, 10_000, 0.3);
    byte[] defective = full.frame(48).gray();
    byte[] clean = line.frame(10_048, ProductLineSimulator.Variant.BRUSHED, null).gray();
    byte[] g = faint.frame(48).gray();
    for (int p = 0; p < g.length; p++) {
      assertThat(g[p] & 0xff)
          .isEqualTo((int) Math.round(0.7 * (clean[p] & 0xff) + 0.3 * (defective[p] & 0xff)));
    }
    assertThat(faint.frame(48).defective()).isTrue();
    assertThat(faint.frame(48).mask()).isEqualTo(full.frame(48).mask());
    assertThat(faint.frame(24).gray())
        .as("normal frames unchanged")
        .isEqualTo(full.frame(24).gray());
    assertThat(faint.frame(25).gray()).as("rare frames unchanged").isEqualTo(full.frame(25).gray());
  }

  @Test
  void theSameDefectRecursWithTheTemplatesMaskOnEachFramesCleanRender() {
    RareVariantStream s =
        new RareVariantStream(
            line, 50, 97, ProductLineSimulator.Variant.GRAIN, 0.6, 10_000, 1, true);
    SimulatedFrame a = s.frame(48);
    SimulatedFrame b = s.frame(48 + 97);
    assertThat(a.defective()).isTrue();
    assertThat(a.mask()).isEqualTo(b.mask());
    assertThat(a.gray()).as("different frames underneath").isNotEqualTo(b.gray());
    byte[] template =
        line.frame(9_999, ProductLineSimulator.Variant.BRUSHED, ProductLineSimulator.Defect.CRACK)
            .gray();
    byte[] templateClean = line.frame(9_999, ProductLineSimulator.Variant.BRUSHED, null).gray();
    byte[] clean = line.frame(10_048, ProductLineSimulator.Variant.BRUSHED, null).gray();
    for (int p = 0; p < clean.length; p++) {
      int expected =
          Math.max(
              0,
              Math.min(255, (clean[p] & 0xff) + (template[p] & 0xff) - (templateClean[p] & 0xff)));
      assertThat(a.gray()[p] & 0xff).isEqualTo(expected);
    }
    assertThat(s.frame(24).gray()).as("normal frames unchanged").isEqualTo(clean(s, 24));
  }

  private byte[] clean(RareVariantStream s, int i) {
    return line.frame(s.firstIndex() + i, ProductLineSimulator.Variant.BRUSHED, null).gray();
  }

  @Test
  void refusesAFinishThatIsNotRareOrAShareOutOfRange() {
    assertThatThrownBy(
            () -> new RareVariantStream(line, 50, 97, ProductLineSimulator.Variant.BRUSHED, 0.6, 0))
        .hasMessageContaining("BRUSHED");
    assertThatThrownBy(
            () -> new RareVariantStream(line, 50, 97, ProductLineSimulator.Variant.GRAIN, 0, 0))
        .hasMessageContaining("rare share");
    assertThatThrownBy(
            () -> new RareVariantStream(line, 1, 97, ProductLineSimulator.Variant.GRAIN, 0.5, 0))
        .hasMessageContaining("rare-every");
    assertThatThrownBy(
            () ->
                new RareVariantStream(line, 50, 97, ProductLineSimulator.Variant.GRAIN, 0.5, 0, 0))
        .hasMessageContaining("defect strength must be in (0, 1], was 0.0");
  }
}
