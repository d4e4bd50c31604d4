package io.tailwatch.detector.features;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.tailwatch.detector.onnx.ExecutionProvider;
import io.tailwatch.detector.onnx.OrtSessions;
import io.tailwatch.detector.onnx.ProviderChoice;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Map;
import java.util.Optional;

/**
 * One ONNX Runtime session running backbone + patch embedding on a batch of normalised images. Not thread
 * safe (it reuses its input buffer); use one per thread / task slot.
 */
public final class FeatureExtractor implements AutoCloseable {
  private final BackboneModel backbone;
  private final PatchEmbeddingSpec spec;
  private final OrtSessions.Opened session;
  private final boolean hasGlobal;
  private FloatBuffer input = FloatBuffer.allocate(0);

  private FeatureExtractor(BackboneModel backbone, PatchEmbeddingSpec spec, OrtSessions.Opened session,
      boolean hasGlobal) {
    this.backbone = backbone;
    this.spec = spec;
    this.session = session;
    this.hasGlobal = hasGlobal;
  }

  public static FeatureExtractor open(BackboneModel backbone, PatchEmbeddingSpec spec, ExecutionProvider device,
      int threads) throws OrtException {
    String global = backbone.hasLayer(BackboneModel.DEFAULT_GLOBAL_LAYER) ? BackboneModel.DEFAULT_GLOBAL_LAYER : null;
    byte[] model = backbone.withPatchEmbedding(spec, global);
    return new FeatureExtractor(backbone, spec, OrtSessions.open(model, device, threads, "backbone " + backbone.id()),
        global != null);
  }

  public BackboneModel backbone() {
    return backbone;
  }

  public PatchEmbeddingSpec spec() {
    return spec;
  }

  public ProviderChoice provider() {
    return session.provider();
  }

  public int inputSize() {
    return backbone.inputSize();
  }

  /** @param nchw {@code n * 3 * S * S} normalised values */
  public PatchFeatures extract(float[] nchw, int n) throws OrtException {
    int s = backbone.inputSize();
    int per = 3 * s * s;
    if (n <= 0 || nchw.length < n * per) {
      throw new IllegalArgumentException("batch of " + n + " images needs " + (long) n * per + " values, got "
          + nchw.length);
    }
    if (input.capacity() < n * per) {
      input = ByteBuffer.allocateDirect(n * per * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
    }
    input.clear();
    input.put(nchw, 0, n * per).flip();
    var env = OrtSessions.environment();
    try (OnnxTensor tensor = OnnxTensor.createTensor(env, input, new long[] {n, 3, s, s});
        OrtSession.Result result = session.session().run(Map.of(backbone.inputName(), tensor))) {
      float[] patches = read(result.get(PatchEmbeddingGraph.PATCHES_OUTPUT), (long) n * spec.positions() * spec.targetDim());
      float[] global = null;
      int globalDim = 0;
      if (hasGlobal) {
        Optional<ai.onnxruntime.OnnxValue> g = result.get(PatchEmbeddingGraph.GLOBAL_OUTPUT);
        global = read(g, -1);
        globalDim = global.length / n;
      }
      return new PatchFeatures(n, spec.gridHeight(), spec.gridWidth(), spec.targetDim(), patches, globalDim, global);
    }
  }

  private static float[] read(Optional<ai.onnxruntime.OnnxValue> value, long expected) {
    OnnxTensor t = (OnnxTensor) value.orElseThrow(() -> new IllegalStateException("missing output"));
    FloatBuffer fb = t.getFloatBuffer();
    if (expected >= 0 && fb.remaining() != expected) {
      throw new IllegalStateException("output has " + fb.remaining() + " values, expected " + expected);
    }
    float[] out = new float[fb.remaining()];
    fb.get(out);
    return out;
  }

  @Override
  public void close() throws OrtException {
    session.close();
  }
}
