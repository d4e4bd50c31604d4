package io.tailwatch.detector.features;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.tailwatch.detector.onnx.ComputePrecision;
import io.tailwatch.detector.onnx.ExecutionProvider;
import io.tailwatch.detector.onnx.Float16Conversion;
import io.tailwatch.detector.onnx.OrtSessions;
import io.tailwatch.detector.onnx.ProviderChoice;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One ONNX Runtime session running backbone + patch embedding on a batch of normalised images. Not
 * thread safe (it reuses its buffers); use one per thread / task slot.
 *
 * <p>Inputs and outputs are bound to reused direct buffers: the input tensor wraps the input
 * buffer, and the outputs are pre-allocated tensors ONNX Runtime writes into (the Java API's form
 * of I/O binding; on CUDA the results are copied into them), so a run allocates no native tensors.
 */
public final class FeatureExtractor implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(FeatureExtractor.class);
  private final BackboneModel backbone;
  private final PatchEmbeddingSpec spec;
  private final OrtSessions.Opened session;

  /** Channels of the pooled global embedding; 0 when the backbone has no global layer. */
  private final int globalDim;

  private final ComputePrecision precision;
  private final Map<Integer, Bound> bound = new HashMap<>();
  private FloatBuffer inputBuffer = direct(0);
  private FloatBuffer patchBuffer = direct(0);
  private FloatBuffer globalBuffer = direct(0);

  private FeatureExtractor(
      BackboneModel backbone,
      PatchEmbeddingSpec spec,
      OrtSessions.Opened session,
      int globalDim,
      ComputePrecision precision) {
    this.backbone = backbone;
    this.spec = spec;
    this.session = session;
    this.globalDim = globalDim;
    this.precision = precision;
  }

  public static FeatureExtractor open(
      BackboneModel backbone, PatchEmbeddingSpec spec, ExecutionProvider device, int threads)
      throws OrtException {
    return open(backbone, spec, device, threads, ComputePrecision.FP32);
  }

  /**
   * @param precision FP16 converts the graph ({@link Float16Conversion}); a quantised backbone is
   *     refused
   */
  public static FeatureExtractor open(
      BackboneModel backbone,
      PatchEmbeddingSpec spec,
      ExecutionProvider device,
      int threads,
      ComputePrecision precision)
      throws OrtException {
    String global =
        backbone.hasLayer(BackboneModel.DEFAULT_GLOBAL_LAYER)
            ? BackboneModel.DEFAULT_GLOBAL_LAYER
            : null;
    byte[] model = backbone.withPatchEmbedding(spec, global);
    if (precision == ComputePrecision.FP16) {
      model = Float16Conversion.convert(model, backbone.path().getFileName().toString());
    }
    OrtSessions.Opened session =
        OrtSessions.open(
            model,
            device,
            threads,
            "backbone " + backbone.id() + (precision == ComputePrecision.FP16 ? " (fp16)" : ""));
    if (precision == ComputePrecision.FP16
        && session.provider().actual() == ExecutionProvider.CPU) {
      LOG.warn(
          "backbone {}: precision fp16 on CPU: ONNX Runtime runs the ops it has no float16 kernel for in "
              + "float32 between casts, so expect no speed-up; use it to measure the accuracy change, or on CUDA",
          backbone.id());
    }
    return new FeatureExtractor(
        backbone, spec, session, global == null ? 0 : backbone.layer(global).channels(), precision);
  }

  public ComputePrecision precision() {
    return precision;
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

  /**
   * @param nchw {@code n * 3 * S * S} normalised values
   */
  public PatchFeatures extract(float[] nchw, int n) throws OrtException {
    int s = backbone.inputSize();
    int per = 3 * s * s;
    if (n <= 0 || nchw.length < n * per) {
      throw new IllegalArgumentException(
          "batch of " + n + " images needs " + (long) n * per + " values, got " + nchw.length);
    }
    Bound b = bind(n);
    b.input.clear();
    b.input.put(nchw, 0, n * per);
    try (OrtSession.Result result =
        session.session().run(Map.of(backbone.inputName(), b.inputTensor), b.outputs)) {
      // the results are the bound tensors: nothing to read from the Result, nothing more to close
      float[] patches = new float[n * spec.positions() * spec.targetDim()];
      b.patches.clear();
      b.patches.get(patches);
      float[] global = null;
      if (globalDim > 0) {
        global = new float[n * globalDim];
        b.global.clear();
        b.global.get(global);
      }
      return new PatchFeatures(
          n, spec.gridHeight(), spec.gridWidth(), spec.targetDim(), patches, globalDim, global);
    }
  }

  /**
   * Input and output tensors for batch size {@code n}: views of direct buffers that only grow, one
   * set of tensors per batch size seen (a streaming job's partial batches take a few sizes; a view
   * costs no copy).
   */
  private Bound bind(int n) throws OrtException {
    Bound b = bound.get(n);
    if (b != null) {
      return b;
    }
    int s = backbone.inputSize();
    int inputs = n * 3 * s * s;
    int patches = n * spec.positions() * spec.targetDim();
    if (inputBuffer.capacity() < inputs) {
      closeBound(); // the tensors of smaller batches point into the old buffers
      int most = Math.max(n, 2 * inputBuffer.capacity() / (3 * s * s));
      inputBuffer = direct(most * 3 * s * s);
      patchBuffer = direct(most * spec.positions() * spec.targetDim());
      globalBuffer = direct(most * globalDim);
    }
    FloatBuffer in = view(inputBuffer, inputs);
    FloatBuffer out = view(patchBuffer, patches);
    FloatBuffer global = globalDim > 0 ? view(globalBuffer, n * globalDim) : null;
    var env = OrtSessions.environment();
    Map<String, OnnxTensor> outputs = new LinkedHashMap<>();
    OnnxTensor inTensor = OnnxTensor.createTensor(env, in, new long[] {n, 3, s, s});
    try {
      outputs.put(
          PatchEmbeddingGraph.PATCHES_OUTPUT,
          OnnxTensor.createTensor(env, out, new long[] {n, spec.positions(), spec.targetDim()}));
      if (globalDim > 0) {
        outputs.put(
            PatchEmbeddingGraph.GLOBAL_OUTPUT,
            OnnxTensor.createTensor(env, global, new long[] {n, globalDim}));
      }
    } catch (OrtException | RuntimeException e) {
      inTensor.close();
      outputs.values().forEach(OnnxTensor::close);
      throw e;
    }
    b = new Bound(in, inTensor, out, global, outputs);
    bound.put(n, b);
    return b;
  }

  /** The first {@code floats} of a direct buffer as a direct buffer of its own (same memory). */
  private static FloatBuffer view(FloatBuffer buffer, int floats) {
    return buffer.duplicate().position(0).limit(floats).slice();
  }

  private static FloatBuffer direct(int floats) {
    return ByteBuffer.allocateDirect(floats * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
  }

  private void closeBound() {
    bound.values().forEach(Bound::close);
    bound.clear();
  }

  private record Bound(
      FloatBuffer input,
      OnnxTensor inputTensor,
      FloatBuffer patches,
      FloatBuffer global,
      Map<String, OnnxTensor> outputs)
      implements AutoCloseable {
    @Override
    public void close() {
      inputTensor.close();
      outputs.values().forEach(OnnxTensor::close);
    }
  }

  @Override
  public void close() throws OrtException {
    closeBound();
    session.close();
  }
}
