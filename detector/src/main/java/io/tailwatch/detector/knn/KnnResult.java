package io.tailwatch.detector.knn;

/** Per query: squared L2 distance to, and index of, the nearest bank vector. */
public record KnnResult(float[] distances, int[] indices) {}
