package io.tailwatch.flink.inference;

import java.io.Serializable;

/**
 * Opens a detector inside a task (in {@code open()}); shipped to the task managers, so it is
 * serializable.
 */
@FunctionalInterface
public interface DetectorFactory extends Serializable {
  FrameDetector open() throws Exception;
}
