package io.tailwatch.tools;

import io.tailwatch.detector.hyperspectral.EnviCubes;
import io.tailwatch.detector.hyperspectral.MatSceneReader;
import io.tailwatch.detector.hyperspectral.SpectralCube;
import io.tailwatch.tools.train.AutoencoderTrainer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code train}: a spectral autoencoder from normal cubes, exported to ONNX for the streaming job.
 */
@Command(
    name = "train",
    mixinStandardHelpOptions = true,
    description = {
      "Train the spectral autoencoder on the pixels of one or more cubes (.mat with 'data', or an",
      "ENVI .hdr) with optional LAMP amplification and importance weighting; write an ONNX model that scores",
      "pixels by reconstruction error, with the training configuration in its metadata."
    })
final class TrainCommand implements Callable<Integer> {
  private AutoencoderTrainer.Trained lastTrained; // for whoever ran this instance (tests)

  AutoencoderTrainer.Trained lastTrained() {
    return lastTrained;
  }

  @Option(
      names = "--input",
      required = true,
      split = ",",
      description =
          "Training cubes: .mat (MAT v5, variable 'data') or ENVI .hdr files, same band count.")
  List<Path> inputs;

  @Option(names = "--out", required = true, description = "The ONNX model to write.")
  Path out;

  @Option(names = "--iw", description = "Importance-weighted loss (see the --iw-* options).")
  boolean importanceWeighting;

  @Option(names = "--seed", defaultValue = "1", description = "Default: ${DEFAULT-VALUE}.")
  long seed;

  @Mixin AutoencoderOptions autoencoder;

  @Override
  public Integer call() throws Exception {
    List<SpectralCube> cubes = new ArrayList<>();
    for (Path p : inputs) {
      if (!Files.isRegularFile(p)) {
        throw new IllegalArgumentException("--input " + p + " is not a file");
      }
      String name = p.getFileName().toString().toLowerCase(Locale.ROOT);
      cubes.add(name.endsWith(".hdr") ? EnviCubes.read(p) : MatSceneReader.read(p).cube());
    }
    int bands = cubes.get(0).bands();
    int n = 0;
    for (int i = 0; i < cubes.size(); i++) {
      if (cubes.get(i).bands() != bands) {
        throw new IllegalArgumentException(
            "--input "
                + inputs.get(i)
                + " has "
                + cubes.get(i).bands()
                + " bands, "
                + inputs.get(0)
                + " has "
                + bands);
      }
      n += cubes.get(i).pixels();
    }
    float[] spectra = new float[Math.multiplyExact(n, bands)];
    int off = 0;
    for (SpectralCube c : cubes) {
      System.arraycopy(c.values(), 0, spectra, off, c.values().length);
      off += c.values().length;
    }
    AutoencoderTrainer.Options options =
        autoencoder
            .trainer(seed)
            .with(
                autoencoder.amplification(), importanceWeighting ? autoencoder.weighting() : null);
    System.err.printf(
        Locale.ROOT,
        "train %s on %d pixels x %d bands from %d cube(s)%n",
        options.label(),
        n,
        bands,
        cubes.size());
    long started = System.nanoTime();
    AutoencoderTrainer.Trained trained;
    try (ProgressBar bar = new ProgressBar("train")) {
      trained = AutoencoderTrainer.train(spectra, n, bands, options, bar);
    }
    trained.model().save(out);
    double[] loss = trained.epochLoss();
    System.out.printf(
        Locale.ROOT,
        "trained %s in %.1f s: mean error %.5f after epoch 1, %.5f after epoch %d;"
            + " ONNX export matches the network within %.1e; written to %s%n",
        options.label(),
        (System.nanoTime() - started) / 1e9,
        loss[0],
        loss[loss.length - 1],
        loss.length,
        trained.exportMaxAbsDiff(),
        out);
    trained.model().trainingConfig().forEach((k, v) -> System.out.println("  " + k + " = " + v));
    lastTrained = trained;
    return 0;
  }
}
