package io.tailwatch.detector.scoring;

import io.tailwatch.detector.bank.MemoryBank;
import io.tailwatch.detector.image.FloatImage;
import io.tailwatch.detector.image.FrameMemory;
import io.tailwatch.detector.image.ImageDecodeException;
import io.tailwatch.detector.image.ImageSource;
import io.tailwatch.detector.image.Preprocessing;
import io.tailwatch.detector.image.Tiling;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Scoring frames tile by tile ({@link Tiling}) with a bank fitted on tiles: each frame's tiles go
 * through the detector, the frame's score is the maximum tile score, its map the tiles' maps
 * stitched at full resolution (overlaps averaged) and brought to the frame's network geometry, so
 * that everything downstream (thresholds, regions in frame pixels, heatmaps) sees one detection per
 * frame as without tiles. The bank records the tiling it was fitted on ({@link #TILE_SIZE}, {@link
 * #TILE_STRIDE} in its header's params), so every scorer of the bank tiles the same way.
 */
public final class TiledScoring {
  public static final String TILE_SIZE = "tile.size";
  public static final String TILE_STRIDE = "tile.stride";

  /** Frames expanded to their tiles, and each tile's frame (0-based, in order). */
  public record Tiles(List<ImageSource> sources, int[] frameOf) {}

  private TiledScoring() {}

  /** The tiling a bank was fitted on, or null for whole frames. */
  public static Tiling of(MemoryBank bank) {
    Map<String, Object> p = bank.header().params();
    if (p == null || !p.containsKey(TILE_SIZE)) {
      return null;
    }
    return new Tiling(
        ((Number) p.get(TILE_SIZE)).intValue(), ((Number) p.get(TILE_STRIDE)).intValue());
  }

  /** The bank with its tiling recorded (none: unchanged). */
  public static MemoryBank record(MemoryBank bank, Tiling tiling) {
    if (tiling == null) {
      return bank;
    }
    Map<String, Object> p =
        new LinkedHashMap<>(bank.header().params() == null ? Map.of() : bank.header().params());
    p.put(TILE_SIZE, tiling.tile());
    p.put(TILE_STRIDE, tiling.stride());
    return bank.withParams(p);
  }

  /**
   * Each frame's tiles, decoded on demand (each frame is read once here for its size); with no
   * tiling, the frames themselves.
   */
  public static Tiles tiles(List<? extends ImageSource> frames, Tiling tiling) throws IOException {
    List<ImageSource> out = new ArrayList<>();
    List<Integer> frameOf = new ArrayList<>();
    for (int f = 0; f < frames.size(); f++) {
      ImageSource whole = frames.get(f);
      if (tiling == null) {
        out.add(whole);
        frameOf.add(f);
        continue;
      }
      FloatImage first;
      try {
        first = whole.load();
      } catch (ImageDecodeException e) {
        throw new IOException(whole + ": " + e.getMessage(), e);
      }
      for (Tiling.Window w : tiling.windows(first.width(), first.height())) {
        out.add(
            new ImageSource() {
              @Override
              public String id() {
                return whole.id() + "@" + w.x() + "," + w.y();
              }

              @Override
              public FloatImage load() throws IOException, ImageDecodeException {
                return Tiling.crop(whole.load(), w);
              }

              @Override
              public String toString() {
                return whole + " tile " + w;
              }
            });
        frameOf.add(f);
      }
    }
    return new Tiles(out, frameOf.stream().mapToInt(Integer::intValue).toArray());
  }

  /** Tiles scored per detector call: bounds the crops held at once (see {@link FrameMemory}). */
  public static final int TILE_BATCH = 16;

  /** A batch of tiles in, one detection per tile out (the detector, or a stand-in in tests). */
  @FunctionalInterface
  public interface TileDetector {
    List<Detection> detect(List<FloatImage> tiles) throws Exception;
  }

  /**
   * One detection per frame; with no tiling, the detector's own. A tiled detection carries the
   * strongest tile's patch scores and features (bank-update candidates come from there) and the
   * stitched map in the frame's network geometry.
   */
  public static List<Detection> detect(
      PatchCoreDetector detector, Tiling tiling, Preprocessing p, List<FloatImage> frames)
      throws Exception {
    if (tiling == null) {
      return detector.detect(frames);
    }
    List<Detection> out = new ArrayList<>(frames.size());
    for (FloatImage frame : frames) {
      out.add(detectFrame(detector::detect, tiling, p, frame, TILE_BATCH));
    }
    return out;
  }

  /**
   * One frame, tile by tile, {@code tileBatch} tiles per detector call: only that many crops exist
   * at a time and each tile's map is stitched in as it comes, so a 12-megapixel frame costs its own
   * pixels, the stitched map and one batch of crops and maps ({@link
   * FrameMemory#tiledScoringBytes}), not a second copy of the frame in crops.
   */
  public static Detection detectFrame(
      TileDetector detector, Tiling tiling, Preprocessing p, FloatImage frame, int tileBatch)
      throws Exception {
    if (tileBatch < 1) {
      throw new IllegalArgumentException("tileBatch must be positive, was " + tileBatch);
    }
    List<Tiling.Window> windows = tiling.windows(frame.width(), frame.height());
    Detection strongest = null;
    Tiling.Stitcher stitcher = new Tiling.Stitcher(frame.width(), frame.height());
    for (int from = 0; from < windows.size(); from += tileBatch) {
      List<Tiling.Window> chunk = windows.subList(from, Math.min(windows.size(), from + tileBatch));
      List<FloatImage> crops = new ArrayList<>(chunk.size());
      for (Tiling.Window w : chunk) {
        crops.add(Tiling.crop(frame, w));
      }
      List<Detection> found = detector.detect(crops);
      for (int i = 0; i < found.size(); i++) {
        Detection d = found.get(i);
        stitcher.add(chunk.get(i), d.map(), d.mapSize());
        if (strongest == null || d.score() > strongest.score()) {
          strongest = d; // its map is no longer needed, only its scores and features
        }
      }
    }
    float[] full = stitcher.finish();
    FloatImage geometry = p.geometry(new FloatImage(frame.width(), frame.height(), 1, full));
    return new Detection(
        strongest.score(),
        strongest.patchScores(),
        strongest.gridHeight(),
        strongest.gridWidth(),
        geometry.data(),
        p.inputSize(),
        strongest.features(),
        strongest.featureOffset(),
        strongest.dim());
  }
}
