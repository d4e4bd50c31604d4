package io.tailwatch.tools.train;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.GradientCollector;
import ai.djl.training.LocalParameterServer;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.XavierInitializer;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import ai.djl.util.Pair;
import ai.onnxruntime.OrtException;
import io.tailwatch.detector.hyperspectral.AutoencoderDetector;
import io.tailwatch.detector.hyperspectral.ImportanceWeights;
import io.tailwatch.detector.hyperspectral.LossAmplification;
import io.tailwatch.detector.hyperspectral.SpectralAutoencoder;
import io.tailwatch.detector.hyperspectral.Standardisation;
import io.tailwatch.detector.onnx.ExecutionProvider;
import io.tailwatch.detector.util.Permutations;
import io.tailwatch.detector.util.Progress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Collectors;

/**
 * Trains a spectral autoencoder on (mostly normal) spectra with DJL's PyTorch engine: Adam on the
 * per-pixel mean squared error in a per-band standardised space, optionally amplified by LAMP
 * ({@link LossAmplification}) and weighted by importance weights ({@link ImportanceWeights})
 * recomputed from every pixel's current error at the start of each epoch after the warm-up: loss =
 * sum w_i A(l_i) / sum w_i. The result is plain parameters ({@link SpectralAutoencoder}), exported
 * to ONNX for scoring.
 */
public final class AutoencoderTrainer {
  static {
    // libtorch comes from the pytorch-native-cpu jar on the class path; never reach for the network
    if (System.getProperty("ai.djl.offline") == null) {
      System.setProperty("ai.djl.offline", "true");
    }
  }

  /**
   * @param hidden layer widths between input and output, e.g. 64, 16, 64
   * @param weighting null for the unweighted loss
   */
  public record Options(
      int[] hidden,
      int epochs,
      int batch,
      double learningRate,
      long seed,
      LossAmplification amplification,
      ImportanceWeights.Options weighting,
      int warmupEpochs) {
    public Options {
      if (hidden.length == 0 || Arrays.stream(hidden).anyMatch(h -> h <= 0)) {
        throw new IllegalArgumentException(
            "hidden layer widths must be positive, got " + Arrays.toString(hidden));
      }
      if (epochs <= 0 || batch <= 0 || !(learningRate > 0) || warmupEpochs < 0) {
        throw new IllegalArgumentException(
            "epochs, batch and learning rate must be positive, warm-up >= 0");
      }
    }

    public static Options defaults() {
      return new Options(new int[] {64, 16, 64}, 40, 256, 1e-3, 1, LossAmplification.NONE, null, 2);
    }

    public Options with(LossAmplification a, ImportanceWeights.Options w) {
      return new Options(hidden, epochs, batch, learningRate, seed, a, w, warmupEpochs);
    }

    public Options withSeed(long s) {
      return new Options(
          hidden, epochs, batch, learningRate, s, amplification, weighting, warmupEpochs);
    }

    /** How the variant is named in tables: AE, AE+LAMP, AE+IW, AE+LAMP+IW. */
    public String label() {
      return "AE"
          + (amplification.mode() == LossAmplification.Mode.NONE ? "" : "+LAMP")
          + (weighting == null ? "" : "+IW");
    }
  }

  /**
   * What a training run produced: the model, its per-epoch mean (unamplified) training error, and
   * the largest difference between the exported ONNX graph's reconstructions and the trained
   * network's on a probe of the training pixels (checked below {@link #EXPORT_TOLERANCE} before the
   * model is handed out).
   */
  public record Trained(
      SpectralAutoencoder model,
      double[] epochLoss,
      LossAmplification amplification,
      double exportMaxAbsDiff) {}

  public static final double EXPORT_TOLERANCE = 1e-4;
  private static final int PROBE = 512;

  private AutoencoderTrainer() {}

  /**
   * The resource the pytorch-native-cpu jar carries (DJL reads it to find the bundled libtorch).
   */
  static final String LIBTORCH_MARKER = "native/lib/pytorch.properties";

  /**
   * libtorch is not in the CLI jar (it would more than triple it): it comes from the -libtorch jar
   * built beside it, or a local install through PYTORCH_LIBRARY_PATH. Without either, say how to
   * run, instead of DJL's offline-mode error.
   */
  static void requireLibtorch() {
    if (System.getenv("PYTORCH_LIBRARY_PATH") != null
        || Thread.currentThread().getContextClassLoader().getResource(LIBTORCH_MARKER) != null
        || AutoencoderTrainer.class.getClassLoader().getResource(LIBTORCH_MARKER) != null) {
      return;
    }
    throw new IllegalStateException(
        "training the autoencoder needs libtorch, which the CLI jar leaves out to stay small: put"
            + " the -libtorch jar built beside it on the class path, e.g. java -cp"
            + " tools/target/tailwatch-tools-0.1.0-SNAPSHOT-cli.jar:tools/target/tailwatch-tools-0.1.0-SNAPSHOT-libtorch.jar"
            + " io.tailwatch.tools.TailwatchCli <command> ..., or set PYTORCH_LIBRARY_PATH to a"
            + " libtorch 2.7 install");
  }

  /**
   * @param spectra {@code n x bands} raw values, row-major
   */
  public static Trained train(
      float[] spectra, int n, int bands, Options options, Progress progress) {
    Standardisation standardisation = Standardisation.fit(spectra, n, bands);
    float[] z = standardisation.apply(spectra, n);
    requireLibtorch();
    Engine engine = Engine.getEngine("PyTorch");
    engine.setRandomSeed((int) options.seed());
    try (NDManager manager = engine.newBaseManager(Device.cpu())) {
      SequentialBlock net = network(bands, options.hidden());
      net.setInitializer(new XavierInitializer(), Parameter.Type.WEIGHT);
      net.initialize(manager, DataType.FLOAT32, new Shape(1, bands));
      Optimizer adam =
          Optimizer.adam()
              .optLearningRateTracker(Tracker.fixed((float) options.learningRate()))
              .build();
      ParameterStore store = new ParameterStore(manager, false);
      store.setParameterServer(new LocalParameterServer(adam), new Device[] {Device.cpu()});

      LossAmplification amp = options.amplification();
      if (amp.mode() == LossAmplification.Mode.LOG_BARRIER) {
        // -log(1 - L/c) needs L/c < 1: c above every error the untrained network makes
        double max = Arrays.stream(errors(net, store, manager, z, n, bands)).max().orElse(1);
        amp = new LossAmplification(LossAmplification.Mode.LOG_BARRIER, 2 * Math.max(max, 1e-6));
      }
      double[] weights = new double[n];
      Arrays.fill(weights, 1);
      double[] epochLoss = new double[options.epochs()];
      SplittableRandom random = new SplittableRandom(options.seed());
      int steps = (n + options.batch() - 1) / options.batch();
      for (int epoch = 0; epoch < options.epochs(); epoch++) {
        if (options.weighting() != null && epoch >= options.warmupEpochs()) {
          weights =
              ImportanceWeights.compute(
                  errors(net, store, manager, z, n, bands), options.weighting());
        }
        int[] order = Permutations.shuffled(n, random);
        double sum = 0;
        for (int s = 0; s < steps; s++) {
          int from = s * options.batch();
          int rows = Math.min(options.batch(), n - from);
          float[] xb = new float[rows * bands];
          float[] wb = new float[rows];
          for (int r = 0; r < rows; r++) {
            System.arraycopy(z, order[from + r] * bands, xb, r * bands, bands);
            wb[r] = (float) weights[order[from + r]];
          }
          try (NDManager step = manager.newSubManager()) {
            NDArray x = step.create(xb, new Shape(rows, bands));
            NDArray w = step.create(wb);
            try (GradientCollector gc = engine.newGradientCollector()) {
              NDArray out = net.forward(store, new NDList(x), true).singletonOrThrow();
              NDArray perPixel = out.sub(x).square().mean(new int[] {1});
              NDArray loss = amplify(perPixel, amp).mul(w).sum().div(w.sum());
              gc.backward(loss);
              sum += perPixel.sum().getFloat();
            }
            store.updateAllParameters();
          }
        }
        epochLoss[epoch] = sum / n;
        progress.update(epoch + 1, options.epochs());
      }
      SpectralAutoencoder model = export(net, bands, standardisation, options, amp);
      int probe = Math.min(n, PROBE);
      float[] expected;
      try (NDManager sub = manager.newSubManager()) {
        NDArray x = sub.create(Arrays.copyOf(z, probe * bands), new Shape(probe, bands));
        expected = net.forward(store, new NDList(x), false).singletonOrThrow().toFloatArray();
      }
      double diff = exportDifference(model, Arrays.copyOf(spectra, probe * bands), probe, expected);
      if (!(diff <= EXPORT_TOLERANCE)) {
        throw new IllegalStateException(
            "the exported ONNX autoencoder differs from the trained network by "
                + diff
                + " (tolerance "
                + EXPORT_TOLERANCE
                + ")");
      }
      return new Trained(model, epochLoss, amp, diff);
    }
  }

  private static double exportDifference(
      SpectralAutoencoder model, float[] raw, int rows, float[] expected) {
    try (AutoencoderDetector onnx =
        AutoencoderDetector.open(model.toOnnx().toByteArray(), ExecutionProvider.CPU, 1)) {
      float[] got = onnx.reconstruct(raw, rows);
      double max = 0;
      for (int i = 0; i < got.length; i++) {
        max = Math.max(max, Math.abs(got[i] - expected[i]));
      }
      return max;
    } catch (OrtException e) {
      throw new IllegalStateException(
          "ONNX Runtime could not run the exported autoencoder: " + e.getMessage(), e);
    }
  }

  /** A(L) on DJL arrays, the same functions as {@link LossAmplification#apply}. */
  public static NDArray amplify(NDArray loss, LossAmplification a) {
    double p = a.parameter();
    return switch (a.mode()) {
      case NONE -> loss;
      case SCALE -> loss.mul(p);
      case POWER -> loss.add(LossAmplification.POWER_EPS).pow(p);
      case EXP -> loss.mul(p).exp().sub(1);
      case LOG_BARRIER ->
          loss.div(p).minimum(LossAmplification.BARRIER_CAP).neg().add(1).log().neg();
    };
  }

  static SequentialBlock network(int bands, int[] hidden) {
    SequentialBlock net = new SequentialBlock();
    for (int h : hidden) {
      net.add(Linear.builder().setUnits(h).build());
      net.add(Activation.reluBlock());
    }
    net.add(Linear.builder().setUnits(bands).build());
    return net;
  }

  /** Per-pixel mean squared error under the current network, no gradient. */
  private static double[] errors(
      SequentialBlock net, ParameterStore store, NDManager manager, float[] z, int n, int bands) {
    double[] out = new double[n];
    int chunk = 8192;
    for (int from = 0; from < n; from += chunk) {
      int rows = Math.min(chunk, n - from);
      try (NDManager sub = manager.newSubManager()) {
        NDArray x =
            sub.create(
                Arrays.copyOfRange(z, from * bands, (from + rows) * bands), new Shape(rows, bands));
        NDArray y = net.forward(store, new NDList(x), false).singletonOrThrow();
        float[] e = y.sub(x).square().mean(new int[] {1}).toFloatArray();
        for (int i = 0; i < rows; i++) {
          out[from + i] = e[i];
        }
      }
    }
    return out;
  }

  private static SpectralAutoencoder export(
      SequentialBlock net,
      int bands,
      Standardisation standardisation,
      Options options,
      LossAmplification amp) {
    List<SpectralAutoencoder.Dense> layers = new ArrayList<>();
    for (Pair<String, Block> child : net.getChildren()) {
      if (child.getValue() instanceof Linear linear) {
        NDArray w = linear.getParameters().get("weight").getArray();
        NDArray b = linear.getParameters().get("bias").getArray();
        long[] shape = w.getShape().getShape();
        layers.add(
            new SpectralAutoencoder.Dense(
                (int) shape[1], (int) shape[0], w.toFloatArray(), b.toFloatArray()));
      }
    }
    Map<String, String> config = new LinkedHashMap<>();
    config.put("train.variant", options.label());
    config.put(
        "train.hidden",
        Arrays.stream(options.hidden())
            .mapToObj(Integer::toString)
            .collect(Collectors.joining(",")));
    config.put("train.epochs", Integer.toString(options.epochs()));
    config.put("train.batch", Integer.toString(options.batch()));
    config.put("train.learning-rate", Double.toString(options.learningRate()));
    config.put("train.seed", Long.toString(options.seed()));
    config.put("train.lamp", amp.describe());
    config.put(
        "train.iw",
        options.weighting() == null
            ? "off"
            : options.weighting().describe() + ", warm-up " + options.warmupEpochs() + " epochs");
    config.put(
        "train.engine",
        "DJL " + Engine.getDjlVersion() + " PyTorch " + Engine.getEngine("PyTorch").getVersion());
    return new SpectralAutoencoder(
        bands, standardisation.mean(), standardisation.scale(), layers, config);
  }
}
