package io.tailwatch.detector.scoring;

/**
 * The detector's output for one image.
 *
 * @param score image score: max patch score (squared L2 to the nearest bank vector), reweighted if enabled
 * @param patchScores per patch position, row-major over the grid
 * @param map smoothed anomaly map, {@code mapSize x mapSize}, in the network input geometry
 */
public record Detection(double score, float[] patchScores, int gridHeight, int gridWidth, float[] map,
    int mapSize) {}
