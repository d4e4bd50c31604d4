package io.tailwatch.detector.hyperspectral;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import io.tailwatch.detector.onnx.ExecutionProvider;
import io.tailwatch.detector.onnx.OrtSessions;
import io.tailwatch.detector.onnx.ProviderChoice;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * Scores pixels with an exported {@link SpectralAutoencoder} on ONNX Runtime: score =
 * reconstruction error.
 */
public final class AutoencoderDetector implements PixelDetector {
  private static final int CHUNK = 8192;

  private final OrtSessions.Opened session;
  private final int bands;
  private final Map<String, String> metadata;

  private AutoencoderDetector(OrtSessions.Opened session, int bands, Map<String, String> metadata) {
    this.session = session;
    this.bands = bands;
    this.metadata = metadata;
  }

  public static AutoencoderDetector open(Path model, ExecutionProvider provider, int threads)
      throws IOException, OrtException {
    return open(Files.readAllBytes(model), provider, threads);
  }

  public static AutoencoderDetector open(byte[] model, ExecutionProvider provider, int threads)
      throws OrtException {
    OrtSessions.Opened s = OrtSessions.open(model, provider, threads, "spectral autoencoder");
    try {
      Map<String, String> meta = new TreeMap<>(s.session().getMetadata().getCustomMetadata());
      if (!SpectralAutoencoder.PRODUCER_VALUE.equals(meta.get(SpectralAutoencoder.PRODUCER_KEY))) {
        throw new IllegalArgumentException(
            "not a tailwatch spectral autoencoder (metadata "
                + SpectralAutoencoder.PRODUCER_KEY
                + " = "
                + meta.get(SpectralAutoencoder.PRODUCER_KEY)
                + ")");
      }
      NodeInfo in = s.session().getInputInfo().get(SpectralAutoencoder.INPUT);
      int bands = (int) ((TensorInfo) in.getInfo()).getShape()[1];
      return new AutoencoderDetector(s, bands, meta);
    } catch (OrtException | RuntimeException e) {
      s.close();
      throw e;
    }
  }

  public ProviderChoice provider() {
    return session.provider();
  }

  public int bands() {
    return bands;
  }

  /** The training configuration recorded with the model. */
  public Map<String, String> metadata() {
    return metadata;
  }

  @Override
  public String name() {
    return "autoencoder";
  }

  @Override
  public String describe() {
    return metadata.toString();
  }

  @Override
  public float[] score(SpectralCube cube) throws OrtException {
    if (cube.bands() != bands) {
      throw new IllegalArgumentException(
          "cube has " + cube.bands() + " bands, the autoencoder expects " + bands);
    }
    return run(cube.values(), cube.pixels(), SpectralAutoencoder.SCORE);
  }

  /**
   * Reconstructions (standardised space) of {@code n} spectra, for checks against the trained
   * network.
   */
  public float[] reconstruct(float[] spectra, int n) throws OrtException {
    return run(spectra, n, SpectralAutoencoder.RECONSTRUCTION);
  }

  private float[] run(float[] spectra, int n, String output) throws OrtException {
    int width = output.equals(SpectralAutoencoder.SCORE) ? 1 : bands;
    float[] out = new float[n * width];
    for (int p0 = 0; p0 < n; p0 += CHUNK) {
      int rows = Math.min(CHUNK, n - p0);
      FloatBuffer in = FloatBuffer.wrap(spectra, p0 * bands, rows * bands).slice();
      try (OnnxTensor t =
              OnnxTensor.createTensor(OrtSessions.environment(), in, new long[] {rows, bands});
          OrtSession.Result r =
              session
                  .session()
                  .run(Map.of(SpectralAutoencoder.INPUT, t), java.util.Set.of(output))) {
        ((OnnxTensor) r.get(output).orElseThrow())
            .getFloatBuffer()
            .get(out, p0 * width, rows * width);
      }
    }
    return out;
  }

  @Override
  public void close() throws OrtException {
    session.close();
  }
}
