package io.tailwatch.detector.scoring;

/** A connected region above the threshold: bounding box, pixel count, peak score. */
public record RegionBox(int x, int y, int width, int height, int area, float maxScore) {}
