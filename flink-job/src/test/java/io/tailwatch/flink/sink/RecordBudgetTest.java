package io.tailwatch.flink.sink;

import static org.assertj.core.api.Assertions.assertThat;

import io.tailwatch.detector.scoring.Heatmaps;
import io.tailwatch.flink.inference.HeatmapFormat;
import io.tailwatch.flink.inference.Verdicts;
import io.tailwatch.flink.ingest.DeadLetters;
import io.tailwatch.flink.ingest.FramePayloads;
import io.tailwatch.schemas.Alert;
import io.tailwatch.schemas.AvroSerdes;
import io.tailwatch.schemas.DeadLetter;
import io.tailwatch.schemas.DeadLetterReason;
import io.tailwatch.schemas.Modality;
import io.tailwatch.schemas.Region;
import java.awt.image.BufferedImage;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The bounds hold for the worst records the caps allow: incompressible heatmaps, full metadata. */
class RecordBudgetTest {
  /** Random noise: PNG cannot compress it, the worst case for the heatmap's size. */
  static byte[] noisePng(int side, HeatmapFormat format) {
    BufferedImage img =
        new BufferedImage(
            side,
            side,
            format == HeatmapFormat.MAP
                ? BufferedImage.TYPE_BYTE_GRAY
                : BufferedImage.TYPE_INT_RGB);
    Random r = new Random(side);
    for (int y = 0; y < side; y++) {
      for (int x = 0; x < side; x++) {
        img.getRaster().setPixel(x, y, r.ints(format.channels(), 0, 256).toArray());
      }
    }
    return Heatmaps.png(img);
  }

  /** A string of {@code bytes} UTF-8 bytes of three-byte characters (the costliest per char). */
  static String text(int bytes) {
    return "\u20ac".repeat(bytes / 3);
  }

  @Test
  void theWorstPngStaysUnderItsBound() {
    for (HeatmapFormat format : HeatmapFormat.values()) {
      for (int side : new int[] {16, 100, 256, 512}) {
        long size = noisePng(side, format).length;
        assertThat(size)
            .as("%s side %d", format, side)
            .isLessThanOrEqualTo(RecordBudget.pngBound(side, format.channels()))
            // the bound is not loose: incompressible noise comes within 10% of it
            .isGreaterThan(RecordBudget.pngBound(side, format.channels()) * 9 / 10 - 1024);
      }
    }
  }

  @ParameterizedTest
  @EnumSource(HeatmapFormat.class)
  void theLargestAlertStaysUnderItsBound(HeatmapFormat format) {
    int side = 256;
    List<Region> regions = new ArrayList<>();
    for (int i = 0; i < Verdicts.MAX_ALERT_REGIONS; i++) {
      regions.add(
          new Region(
              Integer.MAX_VALUE,
              Integer.MAX_VALUE,
              Integer.MAX_VALUE,
              Integer.MAX_VALUE,
              Integer.MAX_VALUE,
              Float.MAX_VALUE));
    }
    int third = FramePayloads.MAX_METADATA_BYTES / 3;
    Alert alert =
        Alert.newBuilder()
            .setAlertId(text(third))
            .setFrameId(text(third))
            .setLineId(text(third / 2))
            .setSourceId(text(third / 2))
            .setModality(Modality.CAMERA)
            .setCaptureTime(Instant.now())
            .setDetectTime(Instant.now())
            .setScore(1)
            .setThreshold(1)
            .setCalibratedScore(1)
            .setModelVersion("mobilenetv2-12-int8-features@" + "f".repeat(64))
            .setBankVersion("bank-" + "v".repeat(200))
            .setHeatmapPng(ByteBuffer.wrap(noisePng(side, format)))
            .setHeatmapFormat(format.wireName())
            .setFrameWidth(Integer.MAX_VALUE)
            .setFrameHeight(Integer.MAX_VALUE)
            .setHeatmapLow(0.0)
            .setHeatmapHigh(1.0)
            .setRegions(regions)
            .setAnomalousPixels(Long.MAX_VALUE)
            .setLatencyMs(Long.MAX_VALUE)
            .build();
    long encoded = AvroSerdes.forType(Alert.class).encode(alert).length;
    assertThat(encoded).isLessThanOrEqualTo(RecordBudget.alertBound(true, side, format));
    // and the default configuration leaves Kafka's 1 MiB request far from full
    assertThat(RecordBudget.alertBound(true, side, format)).isLessThan(1024 * 1024 / 2);
  }

  @Test
  void theLargestDeadLetterStaysUnderItsBound() {
    byte[] raw = new byte[5 * 1024 * 1024];
    new Random(3).nextBytes(raw);
    DeadLetter letter =
        DeadLetters.capped(
            DeadLetters.of(
                "t".repeat(249),
                Integer.MAX_VALUE,
                Long.MAX_VALUE,
                new byte[100_000],
                DeadLetterReason.UNDECODABLE,
                "\u20ac".repeat(10_000),
                raw,
                Long.MAX_VALUE),
            64 * 1024);
    long encoded = AvroSerdes.forType(DeadLetter.class).encode(letter).length;
    assertThat(encoded).isLessThanOrEqualTo(RecordBudget.deadLetterBound(64 * 1024));
  }
}
