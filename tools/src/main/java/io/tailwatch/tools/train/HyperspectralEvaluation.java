package io.tailwatch.tools.train;

import io.tailwatch.detector.hyperspectral.AutoencoderDetector;
import io.tailwatch.detector.hyperspectral.HyperspectralScene;
import io.tailwatch.detector.hyperspectral.ImportanceWeights;
import io.tailwatch.detector.hyperspectral.LocalRxDetector;
import io.tailwatch.detector.hyperspectral.LossAmplification;
import io.tailwatch.detector.hyperspectral.RxDetector;
import io.tailwatch.detector.hyperspectral.SpectralBankDetector;
import io.tailwatch.detector.knn.OnnxKnnScorer;
import io.tailwatch.detector.metrics.BinaryScores;
import io.tailwatch.detector.onnx.ExecutionProvider;
import io.tailwatch.detector.scoring.Heatmaps;
import io.tailwatch.detector.util.Progress;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Per-scene pixel AUROC and AUPR of every hyperspectral detector on labelled scenes, each detector
 * fitted on the scene's own pixels without labels (the usual protocol for ABU / HYDICE): global RX
 * at two ridges, local dual-window RX, the cross-fitted spectral bank, and the autoencoder plain,
 * with LAMP, with IW and with both; stochastic methods over several seeds (mean and standard
 * deviation). Writes a markdown table and detection-map PNGs.
 */
public final class HyperspectralEvaluation {
  public record Options(
      int seeds,
      SpectralBankDetector.Options bank,
      AutoencoderTrainer.Options autoencoder,
      LossAmplification lamp,
      ImportanceWeights.Options weighting,
      int localComponents,
      int localOuter,
      int localInner,
      int threads,
      Path mapDir) {}

  /**
   * Per method: AUROC and AUPR per seed, or the error that stopped it (one method failing on one
   * scene never sinks the rest of the run).
   */
  public record MethodResult(
      String method, String settings, double[] auroc, double[] aupr, String error) {
    public MethodResult(String method, String settings, double[] auroc, double[] aupr) {
      this(method, settings, auroc, aupr, null);
    }

    static MethodResult failed(String method, Exception e) {
      String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
      return new MethodResult(method, "", new double[0], new double[0], message.replace('\n', ' '));
    }

    public boolean isFailed() {
      return error != null;
    }

    public double meanAuroc() {
      return Arrays.stream(auroc).average().orElse(Double.NaN);
    }

    public double sdAuroc() {
      return sd(auroc);
    }

    public double meanAupr() {
      return Arrays.stream(aupr).average().orElse(Double.NaN);
    }

    public double sdAupr() {
      return sd(aupr);
    }
  }

  public record SceneResult(
      String scene, int lines, int samples, int bands, int anomalous, List<MethodResult> methods) {}

  /** Called after each method on each scene, for progress. */
  public interface Listener {
    void done(String scene, MethodResult result);

    Progress training();
  }

  private final Options options;

  public HyperspectralEvaluation(Options options) {
    this.options = options;
  }

  public List<String> methods() {
    return List.of(
        "RX ridge 0",
        "RX ridge 1e-4",
        "Local RX",
        "Spectral bank",
        "AE",
        "AE+LAMP",
        "AE+IW",
        "AE+LAMP+IW");
  }

  public SceneResult evaluate(HyperspectralScene scene, Listener listener) throws Exception {
    if (scene.anomalous() == null || scene.anomalousPixels() == 0) {
      throw new IllegalArgumentException(
          scene.name() + ": no anomaly map (or an empty one); cannot evaluate");
    }
    List<MethodResult> out = new ArrayList<>();
    var cube = scene.cube();
    for (double ridge : new double[] {0, RxDetector.DEFAULT_RIDGE}) {
      String name = ridge == 0 ? "RX ridge 0" : "RX ridge 1e-4";
      out.add(
          attempt(
              scene,
              name,
              listener,
              () -> {
                RxDetector rx = RxDetector.fit(cube, ridge);
                return record(scene, name, rx.describe(), List.of(rx.score(cube)), listener);
              }));
    }
    out.add(
        attempt(
            scene,
            "Local RX",
            listener,
            () -> {
              LocalRxDetector local =
                  LocalRxDetector.fit(
                      cube,
                      options.localComponents(),
                      options.localOuter(),
                      options.localInner(),
                      LocalRxDetector.DEFAULT_RIDGE);
              return record(
                  scene, "Local RX", local.describe(), List.of(local.score(cube)), listener);
            }));
    out.add(
        attempt(
            scene,
            "Spectral bank",
            listener,
            () -> {
              List<float[]> bankMaps = new ArrayList<>();
              try (OnnxKnnScorer scorer =
                  OnnxKnnScorer.open(ExecutionProvider.CPU, options.threads())) {
                for (int s = 0; s < options.seeds(); s++) {
                  bankMaps.add(
                      SpectralBankDetector.crossFitted(
                          cube, options.bank().withSeed(s + 1), scorer));
                }
              }
              return record(
                  scene,
                  "Spectral bank",
                  "cross-fitted; " + options.bank().describe(),
                  bankMaps,
                  listener);
            }));
    Map<String, AutoencoderTrainer.Options> variants = new LinkedHashMap<>();
    AutoencoderTrainer.Options base = options.autoencoder();
    variants.put("AE", base.with(LossAmplification.NONE, null));
    variants.put("AE+LAMP", base.with(options.lamp(), null));
    variants.put("AE+IW", base.with(LossAmplification.NONE, options.weighting()));
    variants.put("AE+LAMP+IW", base.with(options.lamp(), options.weighting()));
    for (var v : variants.entrySet()) {
      out.add(attempt(scene, v.getKey(), listener, () -> autoencoder(scene, v, listener)));
    }
    return new SceneResult(
        scene.name(), cube.lines(), cube.samples(), cube.bands(), scene.anomalousPixels(), out);
  }

  /** Runs one method on one scene; its failure becomes its result, with the error. */
  private static MethodResult attempt(
      HyperspectralScene scene,
      String method,
      Listener listener,
      java.util.concurrent.Callable<MethodResult> run) {
    try {
      return run.call();
    } catch (Exception e) {
      MethodResult failed = MethodResult.failed(method, e);
      listener.done(scene.name(), failed);
      return failed;
    }
  }

  private MethodResult autoencoder(
      HyperspectralScene scene, Map.Entry<String, AutoencoderTrainer.Options> v, Listener listener)
      throws Exception {
    var cube = scene.cube();
    {
      List<float[]> maps = new ArrayList<>();
      String settings = "";
      for (int s = 0; s < options.seeds(); s++) {
        AutoencoderTrainer.Trained t =
            AutoencoderTrainer.train(
                cube.values(),
                cube.pixels(),
                cube.bands(),
                v.getValue().withSeed(s + 1),
                listener.training());
        try (AutoencoderDetector ae =
            AutoencoderDetector.open(
                t.model().toOnnx().toByteArray(), ExecutionProvider.CPU, options.threads())) {
          maps.add(ae.score(cube));
        }
        settings =
            "hidden "
                + t.model().trainingConfig().get("train.hidden")
                + ", "
                + v.getValue().epochs()
                + " epochs; LAMP "
                + t.model().trainingConfig().get("train.lamp")
                + "; IW "
                + t.model().trainingConfig().get("train.iw");
      }
      return record(scene, v.getKey(), settings, maps, listener);
    }
  }

  private MethodResult record(
      HyperspectralScene scene,
      String method,
      String settings,
      List<float[]> maps,
      Listener listener)
      throws IOException {
    double[] auroc = new double[maps.size()];
    double[] aupr = new double[maps.size()];
    for (int i = 0; i < maps.size(); i++) {
      double[] s = new double[maps.get(i).length];
      for (int p = 0; p < s.length; p++) {
        s[p] = maps.get(i)[p];
      }
      BinaryScores b = BinaryScores.of(s, scene.anomalous());
      auroc[i] = b.auroc();
      aupr[i] = b.averagePrecision();
    }
    if (options.mapDir() != null) {
      writeMap(scene, method, maps.get(0));
    }
    MethodResult r = new MethodResult(method, settings, auroc, aupr);
    listener.done(scene.name(), r);
    return r;
  }

  private void writeMap(HyperspectralScene scene, String method, float[] map) throws IOException {
    Path dir = options.mapDir().resolve(scene.name());
    Files.createDirectories(dir);
    int w = scene.cube().samples();
    int h = scene.cube().lines();
    float[] sorted = map.clone();
    Arrays.sort(sorted);
    // scale between the median and the 99.9th percentile: background blue, strongest detections red
    double low = sorted[sorted.length / 2];
    double high = sorted[Math.min(sorted.length - 1, (int) (0.999 * sorted.length))];
    String file = method.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-") + ".png";
    Files.write(dir.resolve(file), Heatmaps.png(Heatmaps.colour(map, w, h, low, high)));
    Path truth = dir.resolve("ground-truth.png");
    if (!Files.exists(truth)) {
      float[] gt = new float[scene.anomalous().length];
      for (int i = 0; i < gt.length; i++) {
        gt[i] = scene.anomalous()[i] ? 1 : 0;
      }
      Files.write(truth, Heatmaps.png(Heatmaps.colour(gt, w, h, 0, 1)));
    }
  }

  /**
   * Two markdown tables (AUROC, AUPR): one row per scene, one column per method, mean ± sd over
   * seeds.
   */
  public static String markdown(List<SceneResult> results, List<String> methods) {
    StringBuilder sb = new StringBuilder();
    for (String metric : new String[] {"AUROC", "AUPR"}) {
      sb.append("Pixel ")
          .append(metric)
          .append(" (mean ± sd over seeds; deterministic methods have one run)\n\n");
      sb.append("| scene | size | anomalous px |");
      methods.forEach(m -> sb.append(' ').append(m).append(" |"));
      sb.append(
          " best bank/AE | vs RX ridge 0 | best of all but global RX | vs RX ridge 0 |\n|---|---|---|");
      methods.forEach(m -> sb.append("---|"));
      sb.append("---|---|---|---|\n");
      double[] columnSum = new double[methods.size()];
      int[] columnCount = new int[methods.size()];
      for (SceneResult r : results) {
        sb.append(
            String.format(
                Locale.ROOT,
                "| %s | %dx%dx%d | %d |",
                r.scene(),
                r.lines(),
                r.samples(),
                r.bands(),
                r.anomalous()));
        double best = Double.NEGATIVE_INFINITY; // spectral bank and autoencoders
        String bestName = "";
        double bestAll = Double.NEGATIVE_INFINITY; // also local RX and the ridged global RX
        String bestAllName = "";
        double rx = Double.NaN;
        for (int i = 0; i < methods.size(); i++) {
          MethodResult m = find(r, methods.get(i));
          if (m.isFailed()) {
            sb.append(" **failed**: ").append(m.error().replace("|", "\\|")).append(" |");
            continue;
          }
          double mean = metric.equals("AUROC") ? m.meanAuroc() : m.meanAupr();
          double sd = metric.equals("AUROC") ? m.sdAuroc() : m.sdAupr();
          columnSum[i] += mean;
          columnCount[i]++;
          sb.append(
              m.auroc().length > 1
                  ? String.format(Locale.ROOT, " %.4f ± %.4f |", mean, sd)
                  : String.format(Locale.ROOT, " %.4f |", mean));
          String name = methods.get(i);
          if (name.equals("RX ridge 0")) {
            rx = mean;
            continue;
          }
          if (mean > bestAll) {
            bestAll = mean;
            bestAllName = name;
          }
          if (!name.contains("RX") && mean > best) {
            best = mean;
            bestName = name;
          }
        }
        sb.append(
            String.format(
                Locale.ROOT,
                " %s | %s | %s | %s |%n",
                bestName,
                difference(best, rx),
                bestAllName,
                difference(bestAll, rx)));
      }
      sb.append("| **mean** | | |");
      for (int i = 0; i < columnSum.length; i++) {
        sb.append(
            columnCount[i] == results.size()
                ? String.format(Locale.ROOT, " **%.4f** |", columnSum[i] / columnCount[i])
                : String.format(
                    Locale.ROOT,
                    " **%.4f** (%d of %d scenes) |",
                    columnSum[i] / columnCount[i],
                    columnCount[i],
                    results.size()));
      }
      sb.append(" | | | |\n\n");
    }
    if (!results.isEmpty()) {
      sb.append("Settings:\n\n");
      for (MethodResult m : results.get(0).methods()) {
        if (m.isFailed()) {
          continue;
        }
        sb.append("- ").append(m.method()).append(": ").append(m.settings()).append('\n');
      }
    }
    return sb.toString();
  }

  /** A signed difference, "-" where either side is missing (a method failed). */
  private static String difference(double a, double b) {
    return Double.isFinite(a) && Double.isFinite(b)
        ? String.format(Locale.ROOT, "%+.4f", a - b)
        : "-";
  }

  /** Whether any method failed on any scene. */
  public static boolean anyFailed(List<SceneResult> results) {
    return results.stream().flatMap(r -> r.methods().stream()).anyMatch(MethodResult::isFailed);
  }

  /** A scene that could not be read: every method failed with the reading error. */
  public SceneResult unreadable(String scene, Exception e) {
    return new SceneResult(
        scene, 0, 0, 0, 0, methods().stream().map(m -> MethodResult.failed(m, e)).toList());
  }

  private static MethodResult find(SceneResult r, String method) {
    return r.methods().stream().filter(m -> m.method().equals(method)).findFirst().orElseThrow();
  }

  private static double sd(double[] x) {
    if (x.length < 2) {
      return 0;
    }
    double m = Arrays.stream(x).average().orElse(0);
    return Math.sqrt(Arrays.stream(x).map(v -> (v - m) * (v - m)).sum() / (x.length - 1));
  }
}
