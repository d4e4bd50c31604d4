package io.tailwatch.detector.hyperspectral;

/**
 * A per-pixel anomaly detector for hyperspectral cubes: one score per pixel, line-major ({@code
 * line * samples + sample}), higher means more anomalous. Implementations are fitted before use and
 * state their parameters in {@link #describe()} so every reported figure names its regulariser and
 * settings.
 */
public interface PixelDetector extends AutoCloseable {
  String name();

  /** The fitted settings, e.g. {@code ridge=1e-4*trace/B}. */
  String describe();

  float[] score(SpectralCube cube) throws Exception;

  @Override
  default void close() throws Exception {}
}
