package io.tailwatch.detector.image;

/**
 * The Java heap one frame takes on its way through the detector, from its size alone, so that the
 * frame limits bound it before anything is allocated (the job checks width x height against {@code
 * limits.max-pixels} at ingest, the decoder checks the header again). ONNX Runtime's tensors and
 * activations live outside the heap and are bounded by the network input and the batch, not by the
 * frame.
 *
 * <ul>
 *   <li>Decoding: ImageIO's raster (at most 4 bytes a pixel: RGBA or 16-bit gray + alpha) and the
 *       float image (4 bytes a pixel and channel) are both alive while one is converted into the
 *       other.
 *   <li>Tiled scoring: the float image, the stitched full-resolution map and its overlap counts (4
 *       + 4 bytes a pixel), one batch of crops, and each tile's small map.
 *   <li>Whole-frame scoring: the float image and its resize to the network input.
 * </ul>
 *
 * {@code FrameMemoryTest} runs a 12-megapixel JPEG through decode and tiled scoring in a JVM whose
 * heap is this budget plus a fixed allowance, so the formula is held to.
 */
public final class FrameMemory {
  /** The decoder's raster, at most 4 bytes a pixel. */
  static final int RASTER_BYTES_PER_PIXEL = 4;

  private FrameMemory() {}

  /** Heap bytes of a decoded frame (floats). */
  public static long decodedBytes(long pixels, int channels) {
    return 4L * channels * pixels;
  }

  /** Peak heap bytes while decoding: raster and float image together. */
  public static long decodeBytes(long pixels, int channels) {
    return pixels * RASTER_BYTES_PER_PIXEL + decodedBytes(pixels, channels);
  }

  /**
   * Peak heap bytes while scoring a decoded frame tile by tile, {@code tileBatch} tiles at a time:
   * the frame, the stitched map and counts, one batch of crops and of their maps ({@code mapSize}^2
   * floats each) with their resize to the window.
   */
  public static long tiledScoringBytes(
      int width, int height, int channels, Tiling tiling, int tileBatch, int mapSize) {
    long pixels = (long) width * height;
    long tiles = tiling.windows(width, height).size();
    long crop = 4L * channels * tiling.tile() * tiling.tile();
    long map = 4L * mapSize * mapSize + 4L * tiling.tile() * tiling.tile();
    return decodedBytes(pixels, channels) + 8L * pixels + Math.min(tiles, tileBatch) * (crop + map);
  }

  /**
   * Peak heap bytes for one frame end to end (decode, then tiled or whole-frame scoring), the
   * compressed payload included.
   */
  public static long peakBytes(
      long payloadBytes,
      int width,
      int height,
      int channels,
      Tiling tiling,
      int tileBatch,
      int mapSize) {
    long pixels = (long) width * height;
    long scoring =
        tiling == null
            ? decodedBytes(pixels, channels)
            : tiledScoringBytes(width, height, channels, tiling, tileBatch, mapSize);
    return payloadBytes + Math.max(decodeBytes(pixels, channels), scoring);
  }
}
