package io.tailwatch.detector.image;

import static org.assertj.core.api.Assertions.assertThat;

import io.tailwatch.detector.scoring.TiledScoring;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A 12-megapixel frame is decoded and scored tile by tile within the heap {@link FrameMemory} gives
 * it: a JVM with that much heap (plus a fixed allowance for the JVM itself) gets through, and the
 * same JVM fails when every tile is cropped at once (so the budget is tight, not padded).
 */
class FrameMemoryTest {
  static final int W = 4000;
  static final int H = 3000;

  /** Heap the JVM needs beyond the frame: its own objects, ImageIO's plugins, buffers. */
  static final long JVM_ALLOWANCE = 64L << 20;

  @TempDir Path dir;

  @Test
  void theBudgetOfATwelveMegapixelFrameIsWhatTheFormulaSays() {
    Tiling tiles = new Tiling(256, 256);
    long pixels = (long) W * H;
    assertThat(FrameMemory.decodeBytes(pixels, 3)).isEqualTo(16 * pixels);
    long tiled =
        FrameMemory.tiledScoringBytes(
            W, H, 3, tiles, TiledScoring.TILE_BATCH, FrameMemoryProbe.MAP);
    // frame floats + stitched map and counts, then one batch of crops and maps
    assertThat(tiled).isBetween(20 * pixels, 20 * pixels + (24L << 20));
    assertThat(FrameMemory.peakBytes(3_000_000, W, H, 3, tiles, 16, FrameMemoryProbe.MAP))
        .isEqualTo(3_000_000 + tiled);
    assertThat(FrameMemory.peakBytes(0, W, H, 1, null, 16, FrameMemoryProbe.MAP))
        .isEqualTo(FrameMemory.decodeBytes(pixels, 1));
  }

  @Test
  void aTwelveMegapixelFrameDecodesAndScoresWithinItsBudget() throws Exception {
    Path jpeg = dir.resolve("frame-12mp.jpg");
    writeFrame(jpeg);
    long payload = Files.size(jpeg);
    long budget =
        FrameMemory.peakBytes(
            payload, W, H, 3, new Tiling(256, 256), TiledScoring.TILE_BATCH, FrameMemoryProbe.MAP);
    long heap = budget + JVM_ALLOWANCE;

    Probe ok = probe(jpeg, heap, TiledScoring.TILE_BATCH);
    assertThat(ok.exit()).as("within %,d bytes of heap: %s", heap, ok.output()).isZero();
    assertThat(ok.output()).contains("4000x3000 scored");

    // every tile cropped at once (a second copy of the frame) does not fit the same heap
    Probe all = probe(jpeg, heap, 10_000);
    assertThat(all.exit()).as(all.output()).isNotZero();
    assertThat(all.output()).contains("OutOfMemoryError");
  }

  record Probe(int exit, String output) {}

  static Probe probe(Path jpeg, long heapBytes, int tileBatch)
      throws IOException, InterruptedException {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    Process p =
        new ProcessBuilder(
                List.of(
                    java.toString(),
                    "-XX:+UseSerialGC",
                    "-Xmx" + (heapBytes >> 20) + "m",
                    "-Djava.awt.headless=true",
                    "-cp",
                    System.getProperty("java.class.path"),
                    FrameMemoryProbe.class.getName(),
                    jpeg.toString(),
                    Integer.toString(tileBatch)))
            .redirectErrorStream(true)
            .start();
    byte[] out = p.getInputStream().readAllBytes();
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
    return new Probe(p.exitValue(), new String(out, StandardCharsets.UTF_8));
  }

  /** A camera-like RGB frame: smooth shading and fine noise, as a quality-90 JPEG. */
  static void writeFrame(Path file) throws IOException {
    BufferedImage img = new BufferedImage(W, H, BufferedImage.TYPE_3BYTE_BGR);
    Random r = new Random(12);
    int[] row = new int[W];
    for (int y = 0; y < H; y++) {
      for (int x = 0; x < W; x++) {
        int base = 60 + (x * 120 / W) + (y * 40 / H);
        int v = Math.max(0, Math.min(255, base + r.nextInt(9) - 4));
        row[x] = (v << 16) | (Math.min(255, v + 10) << 8) | Math.max(0, v - 10);
      }
      img.setRGB(0, y, W, 1, row, 0, W);
    }
    assertThat(ImageIO.write(img, "jpg", file.toFile())).isTrue();
  }
}
