package io.tailwatch.flink.inference;

import io.tailwatch.detector.image.FrameMemory;
import io.tailwatch.detector.image.Tiling;
import io.tailwatch.detector.scoring.TiledScoring;
import io.tailwatch.flink.ingest.FrameLimits;

/**
 * The inference stage's heap for frames, from the limits alone: a batch holds its frames' payloads
 * and decoded pixels until its alerts are rendered, and one frame at a time is scored (on tiles,
 * the costlier case, at the backbone's usual 224-pixel map and 256-pixel tiles).
 */
public final class FrameHeap {
  static final int MAP_SIZE = 224;
  static final Tiling TYPICAL_TILES = new Tiling(256, 256);

  private FrameHeap() {}

  /** The largest frame the limits admit as a square-ish RGB frame: its side. */
  static int side(long pixels) {
    return (int) Math.ceil(Math.sqrt((double) pixels));
  }

  /** Bytes a batch of {@code batch} frames of up to limits.max-pixels takes. */
  public static long batchBytes(FrameLimits limits, int batch) {
    long pixels = limits.maxPixels();
    int side = side(pixels);
    long held = batch * (limits.maxPayloadBytes() + FrameMemory.decodedBytes(pixels, 3));
    long scoring =
        Math.max(
            FrameMemory.decodeBytes(pixels, 3) - FrameMemory.decodedBytes(pixels, 3),
            FrameMemory.tiledScoringBytes(
                    side, side, 3, TYPICAL_TILES, TiledScoring.TILE_BATCH, MAP_SIZE)
                - FrameMemory.decodedBytes(pixels, 3));
    return held + scoring;
  }
}
