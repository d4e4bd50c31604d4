package io.tailwatch.flink.cube;

import io.tailwatch.detector.hyperspectral.CubeScorer;
import io.tailwatch.detector.hyperspectral.LocalRxDetector;
import io.tailwatch.detector.onnx.ExecutionProvider;
import java.io.Serializable;
import java.nio.file.Path;

/**
 * Opens the configured {@link CubeScorer} inside each subtask (the scorer itself is not
 * serializable).
 */
public record CubeScorerFactory(
    String detector, String model, double ridge, String device, int threads)
    implements Serializable {
  public CubeScorer open() throws Exception {
    return switch (detector) {
      case "rx" -> CubeScorer.rx(ridge);
      case "local-rx" ->
          CubeScorer.localRx(
              LocalRxDetector.DEFAULT_COMPONENTS,
              LocalRxDetector.DEFAULT_OUTER,
              LocalRxDetector.DEFAULT_INNER);
      case "autoencoder" ->
          CubeScorer.autoencoder(Path.of(model), ExecutionProvider.parse(device), threads);
      default ->
          throw new IllegalArgumentException(
              "cube.detector must be rx, local-rx or autoencoder, was " + detector);
    };
  }
}
