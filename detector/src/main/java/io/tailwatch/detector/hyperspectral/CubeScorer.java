package io.tailwatch.detector.hyperspectral;

import ai.onnxruntime.OrtException;
import io.tailwatch.detector.onnx.ExecutionProvider;
import io.tailwatch.detector.util.Hashing;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Per-pixel scoring of streamed cubes. {@link #rx} fits global RX on each cube itself (its own
 * background, no model to deploy), {@link #localRx} the dual-window variant; {@link #autoencoder}
 * runs a trained, exported autoencoder on ONNX Runtime.
 */
public interface CubeScorer extends AutoCloseable {
  float[] score(SpectralCube cube) throws Exception;

  /** Names the model in alerts: {@code rx-self(ridge=...)} or {@code <file>@<sha256 prefix>}. */
  String modelVersion();

  @Override
  default void close() throws Exception {}

  static CubeScorer rx(double ridge) {
    RxDetector.checkRidge(ridge);
    String version = "rx-self(ridge=" + RxDetector.ridgeLabel(ridge) + ")";
    return new CubeScorer() {
      @Override
      public float[] score(SpectralCube cube) {
        return RxDetector.fit(cube, ridge).score(cube);
      }

      @Override
      public String modelVersion() {
        return version;
      }
    };
  }

  /** Local dual-window RX fitted on each cube (its principal components and windows), no model. */
  static CubeScorer localRx(int components, int outer, int inner) {
    LocalRxDetector.checkSettings(components, outer, inner, LocalRxDetector.DEFAULT_RIDGE);
    String version = "local-rx-self(" + outer + "/" + inner + ", " + components + " components)";
    return new CubeScorer() {
      @Override
      public float[] score(SpectralCube cube) {
        return LocalRxDetector.fit(cube, components, outer, inner, LocalRxDetector.DEFAULT_RIDGE)
            .score(cube);
      }

      @Override
      public String modelVersion() {
        return version;
      }
    };
  }

  static CubeScorer autoencoder(Path model, ExecutionProvider provider, int threads)
      throws IOException, OrtException {
    byte[] bytes = Files.readAllBytes(model);
    AutoencoderDetector detector = AutoencoderDetector.open(bytes, provider, threads);
    String version = model.getFileName() + "@" + Hashing.sha256(bytes).substring(0, 12);
    return new CubeScorer() {
      @Override
      public float[] score(SpectralCube cube) throws OrtException {
        return detector.score(cube);
      }

      @Override
      public String modelVersion() {
        return version;
      }

      @Override
      public void close() throws OrtException {
        detector.close();
      }
    };
  }
}
