package io.tailwatch.detector.onnx;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtProvider;
import ai.onnxruntime.OrtSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Creates ONNX Runtime sessions on the configured execution provider. */
public final class OrtSessions {
  private static final Logger LOG = LoggerFactory.getLogger(OrtSessions.class);

  /**
   * JVM property: {@code true} lets ONNX Runtime's intra-op threads spin between runs (its
   * default).
   */
  public static final String SPINNING_PROPERTY = "tailwatch.ort.spinning";

  private OrtSessions() {}

  /** The CUDA device the sessions opened on this thread use (0 unless {@link #onCudaDevice}). */
  private static final ThreadLocal<Integer> CUDA_DEVICE = ThreadLocal.withInitial(() -> 0);

  /** The CUDA device id sessions opened now, on this thread, would use. */
  public static int cudaDevice() {
    return CUDA_DEVICE.get();
  }

  /**
   * Runs {@code open} with sessions on CUDA device {@code id} (one device per task slot): every
   * session it opens on this thread that runs on CUDA is placed there; the previous device is
   * restored afterwards. Scorers remember the device for sessions they open later.
   */
  public static <T> T onCudaDevice(int id, java.util.concurrent.Callable<T> open) throws Exception {
    if (id < 0) {
      throw new IllegalArgumentException("CUDA device id must be >= 0, was " + id);
    }
    int previous = CUDA_DEVICE.get();
    CUDA_DEVICE.set(id);
    try {
      return open.call();
    } finally {
      CUDA_DEVICE.set(previous);
    }
  }

  public static OrtEnvironment environment() {
    return OrtEnvironment.getEnvironment();
  }

  /** A session plus the provider it really runs on. Close the session, not the environment. */
  public record Opened(OrtSession session, ProviderChoice provider) implements AutoCloseable {
    @Override
    public void close() throws OrtException {
      session.close();
    }
  }

  /**
   * @param modelBytes serialized ModelProto
   * @param threads intra-op threads (0 = ONNX Runtime's default: all cores)
   * @param what a name for log lines ("backbone", "knn")
   */
  public static Opened open(
      byte[] modelBytes, ExecutionProvider requested, int threads, String what)
      throws OrtException {
    return open(modelBytes, requested, threads, what, cudaDevice());
  }

  /** As {@link #open(byte[], ExecutionProvider, int, String)} on CUDA device {@code cudaDevice}. */
  public static Opened open(
      byte[] modelBytes, ExecutionProvider requested, int threads, String what, int cudaDevice)
      throws OrtException {
    OrtEnvironment env = environment();
    String fallback = null;
    boolean cudaBuild = false;
    if (requested != ExecutionProvider.CPU) {
      String unavailable = cudaUnavailableReason();
      cudaBuild = unavailable == null;
      if (unavailable == null) {
        try (OrtSession.SessionOptions options = baseOptions(threads)) {
          options.addCUDA(cudaDevice);
          OrtSession session = env.createSession(modelBytes, options);
          ProviderChoice choice = new ProviderChoice(requested, ExecutionProvider.CUDA, null);
          LOG.info("{}: ONNX Runtime session on {} device {}", what, choice, cudaDevice);
          return new Opened(session, choice);
        } catch (OrtException e) {
          unavailable = e.getMessage();
        }
      }
      if (requested == ExecutionProvider.CUDA) {
        throw new IllegalStateException(
            what
                + ": device=cuda was requested but CUDA cannot be used: "
                + unavailable
                + ". Use device=auto to allow CPU, or build with -Pgpu on a CUDA 12 + cuDNN 9 host.");
      }
      fallback = unavailable;
    }
    try (OrtSession.SessionOptions options = baseOptions(threads)) {
      OrtSession session = env.createSession(modelBytes, options);
      ProviderChoice choice = new ProviderChoice(requested, ExecutionProvider.CPU, fallback);
      if (choice.fellBack() && cudaBuild) {
        // a GPU build whose CUDA provider failed to start: worth a warning
        LOG.warn("{}: device=auto fell back to CPU: {}", what, fallback);
      } else if (choice.fellBack()) {
        LOG.info("{}: device=auto runs on CPU: {}", what, fallback);
      } else {
        LOG.info("{}: ONNX Runtime session on {}", what, choice);
      }
      return new Opened(session, choice);
    }
  }

  /** Null when this ONNX Runtime build lists the CUDA provider; else why not. */
  static String cudaUnavailableReason() {
    if (!OrtEnvironment.getAvailableProviders().contains(OrtProvider.CUDA)) {
      return "this ONNX Runtime build has no CUDA execution provider (providers: "
          + OrtEnvironment.getAvailableProviders()
          + ")";
    }
    return null;
  }

  private static OrtSession.SessionOptions baseOptions(int threads) throws OrtException {
    OrtSession.SessionOptions options = new OrtSession.SessionOptions();
    options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
    if (threads > 0) {
      options.setIntraOpNumThreads(threads);
    }
    // ONNX Runtime's pool threads spin after each run by default; here Java work (preprocessing,
    // maps,
    // candidate merges) follows every run and those spinning threads took its cores (bench
    // detector: 1.8-1.9x
    // frames/s at batch 1 without spinning). -Dtailwatch.ort.spinning=true restores ONNX Runtime's
    // default.
    if (!Boolean.getBoolean(SPINNING_PROPERTY)) {
      options.addConfigEntry("session.intra_op.allow_spinning", "0");
    }
    return options;
  }
}
