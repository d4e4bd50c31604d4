package io.tailwatch.detector.features;

import ai.onnx.proto.OnnxMl;
import io.tailwatch.detector.util.Hashing;
import io.tailwatch.detector.util.Progress;
import io.tailwatch.detector.util.SharedDirs;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gets the default backbone onto a fresh machine: downloads the ONNX Model Zoo's {@code
 * mobilenetv2-12-int8.onnx}, checks it, and derives {@code mobilenetv2-12-int8-features.onnx} with
 * our own graph code ({@link FeatureTaps}).
 *
 * <p>The check is on the graph (input {@code input} [N,3,224,224], output {@code output} [N,1000],
 * the four tap tensors present), not only on the hash: mirrors of the zoo file are known to differ
 * by a few bytes. A hash that differs from the one this project tested with is logged, not fatal.
 */
public final class ModelStore {
  private static final Logger LOG = LoggerFactory.getLogger(ModelStore.class);

  public static final String ZOO_FILE = "mobilenetv2-12-int8.onnx";

  /** sha256 of the copy the project's tests and numbers use. */
  public static final String ZOO_SHA256 =
      "83530ad811bc31d2b60a5599a21265a5057608c9b044b4ee758cc22f2309f54f";

  /**
   * {@link BackboneModel#graphSha256} of that file: a copy serialised differently (node names,
   * producer) is still the model this project was tested with.
   */
  public static final String ZOO_GRAPH_SHA256 =
      "890018667dae610246ecbd5e00154dde5c06c3cd9be5ced5022aa0eacf21b854";

  public static final List<URI> ZOO_SOURCES =
      List.of(
          URI.create(
              "https://github.com/onnx/models/raw/main/validated/vision/classification/mobilenet/model/"
                  + ZOO_FILE),
          URI.create(
              "https://huggingface.co/onnxmodelzoo/mobilenetv2-12-int8/resolve/main/" + ZOO_FILE));

  /** Refuses anything implausibly large for this model (the zoo file is 3.6 MB). */
  static final long MAX_DOWNLOAD_BYTES = 64L * 1024 * 1024;

  private ModelStore() {}

  /** The model folder to use: $TAILWATCH_MODEL_DIR, else {@code ~/.tailwatch/models}. */
  public static Path defaultDir() {
    return defaultDir(SharedDirs.fromEnv(SharedDirs.MODEL_DIR), System.getProperty("user.home"));
  }

  /** $TAILWATCH_MODEL_DIR when set, else ~/.tailwatch/models. */
  static Path defaultDir(java.util.Optional<Path> fromEnvironment, String userHome) {
    return fromEnvironment.orElse(Path.of(userHome, ".tailwatch", "models"));
  }

  /**
   * The one lookup order of every command: {@code --model-dir}, else $TAILWATCH_MODEL_DIR, else
   * ~/.tailwatch/models (where {@code models pull} and the demo put the backbone).
   */
  public static Path modelDir(Path explicit) {
    return explicit != null ? explicit : defaultDir();
  }

  /**
   * Makes sure {@code dir} holds the features backbone: present -> returned as is; zoo file present
   * -> derived; otherwise downloaded from {@code sources} (first that works) and derived.
   */
  public static Path ensureBackbone(Path dir, List<URI> sources, Progress progress)
      throws IOException {
    Path features = dir.resolve(SharedDirs.DEFAULT_BACKBONE_FILE);
    if (Files.isRegularFile(features)) {
      return features;
    }
    Files.createDirectories(dir);
    Path zoo = dir.resolve(ZOO_FILE);
    if (!Files.isRegularFile(zoo)) {
      download(sources, zoo, progress);
    }
    derive(zoo, features);
    return features;
  }

  /** Checks the zoo model and writes it with the feature taps added (atomically). */
  public static void derive(Path zooFile, Path out) throws IOException {
    derive(zooFile, out, false);
  }

  /**
   * Checks the zoo model and writes it with the feature taps added (atomically). A file whose graph
   * and weights are not those of the zoo model this project was tested with is refused, unless
   * {@code acceptUnverified} (then its graph is still checked for the input and the tapped layers).
   */
  public static void derive(Path zooFile, Path out, boolean acceptUnverified) throws IOException {
    byte[] bytes = Files.readAllBytes(zooFile);
    String sha = Hashing.sha256(bytes);
    OnnxMl.ModelProto model;
    try {
      model = OnnxMl.ModelProto.parseFrom(bytes);
    } catch (IOException e) {
      throw new IOException(zooFile + " is not an ONNX model: " + e.getMessage(), e);
    }
    if (!sha.equals(ZOO_SHA256)) {
      String graph = BackboneModel.graphSha256(model);
      if (!graph.equals(ZOO_GRAPH_SHA256)) {
        if (!acceptUnverified) {
          throw new IOException(
              zooFile
                  + " is not the ONNX Model Zoo's "
                  + ZOO_FILE
                  + " this project was tested with: its graph and weights hash to "
                  + graph
                  + ", expected "
                  + ZOO_GRAPH_SHA256
                  + " (file sha256 "
                  + sha
                  + "); to use another build of it anyway, pass --accept-unverified");
        }
        LOG.warn(
            "{} is not the zoo model this project was tested with (graph sha256 {}); using it as"
                + " asked (--accept-unverified)",
            zooFile,
            graph);
      } else {
        LOG.info(
            "{} is the tested zoo model serialised differently (same graph and weights)", zooFile);
      }
    }
    checkZooGraph(zooFile, model.getGraph());
    OnnxMl.ModelProto derived;
    try {
      derived = FeatureTaps.addTaps(model, FeatureTaps.MOBILENET_V2);
    } catch (IllegalArgumentException e) {
      throw new IOException(zooFile + ": " + e.getMessage(), e);
    }
    Path tmp = out.resolveSibling(out.getFileName() + ".tmp");
    Files.write(tmp, derived.toByteArray());
    Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    LOG.info(
        "derived {} from {} (feature outputs {})",
        out,
        zooFile,
        FeatureTaps.MOBILENET_V2.stream().map(FeatureTaps.Tap::output).toList());
  }

  static void checkZooGraph(Path file, OnnxMl.GraphProto graph) throws IOException {
    OnnxMl.ValueInfoProto input =
        graph.getInputList().stream()
            .filter(v -> v.getName().equals("input"))
            .findFirst()
            .orElseThrow(
                () ->
                    new IOException(
                        file
                            + ": no graph input named 'input' (found "
                            + graph.getInputList().stream()
                                .map(OnnxMl.ValueInfoProto::getName)
                                .toList()
                            + "): not the ONNX Model Zoo's MobileNetV2"));
    List<Long> dims = new ArrayList<>();
    for (OnnxMl.TensorShapeProto.Dimension d :
        input.getType().getTensorType().getShape().getDimList()) {
      dims.add(d.hasDimValue() ? d.getDimValue() : -1L);
    }
    if (dims.size() != 4 || dims.get(1) != 3 || dims.get(2) != 224 || dims.get(3) != 224) {
      throw new IOException(
          file + ": input 'input' has shape " + dims + ", expected [N, 3, 224, 224]");
    }
    if (graph.getOutputList().stream().noneMatch(v -> v.getName().equals("output"))) {
      throw new IOException(
          file + ": no graph output named 'output': not the ONNX Model Zoo's MobileNetV2");
    }
  }

  static void download(List<URI> sources, Path target, Progress progress) throws IOException {
    HttpClient http =
        HttpClient.newBuilder()
            .followRedirects(HttpClient.Redirect.NORMAL)
            .connectTimeout(Duration.ofSeconds(20))
            .build();
    List<String> failures = new ArrayList<>();
    for (URI uri : sources) {
      Path tmp = target.resolveSibling(target.getFileName() + ".part");
      try {
        LOG.info("downloading {}", uri);
        HttpResponse<InputStream> response =
            http.send(
                HttpRequest.newBuilder(uri).timeout(Duration.ofMinutes(5)).GET().build(),
                HttpResponse.BodyHandlers.ofInputStream());
        if (response.statusCode() != 200) {
          response.body().close();
          failures.add(uri + ": HTTP " + response.statusCode());
          continue;
        }
        long total = response.headers().firstValueAsLong("content-length").orElse(-1);
        try (InputStream in = response.body();
            OutputStream out = Files.newOutputStream(tmp)) {
          byte[] buf = new byte[1 << 16];
          long done = 0;
          int n;
          while ((n = in.read(buf)) > 0) {
            out.write(buf, 0, n);
            done += n;
            if (done > MAX_DOWNLOAD_BYTES) {
              throw new IOException(
                  "more than " + MAX_DOWNLOAD_BYTES + " bytes: not the expected model");
            }
            progress.update(done, total > 0 ? total : done);
          }
        }
        Files.move(
            tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return;
      } catch (IOException e) {
        failures.add(uri + ": " + e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("download interrupted", e);
      } finally {
        Files.deleteIfExists(tmp);
      }
    }
    throw new IOException(
        "could not download "
            + ZOO_FILE
            + " ("
            + String.join("; ", failures)
            + "). Download it "
            + "by hand into "
            + target.getParent()
            + " (README 'Models'), or set TAILWATCH_MODEL_DIR");
  }
}
