package io.tailwatch.tools;

import io.tailwatch.detector.hyperspectral.ImportanceWeights;
import io.tailwatch.detector.hyperspectral.LossAmplification;
import io.tailwatch.detector.stats.ScoreTarget;
import io.tailwatch.tools.train.AutoencoderTrainer;
import picocli.CommandLine.Option;

/** Spectral autoencoder training options shared by {@code train} and {@code evaluate}. */
final class AutoencoderOptions {
  @Option(
      names = "--ae-hidden",
      split = ",",
      defaultValue = "64,16,64",
      description = "Hidden layer widths. Default: ${DEFAULT-VALUE}.")
  int[] hidden;

  @Option(names = "--ae-epochs", defaultValue = "40", description = "Default: ${DEFAULT-VALUE}.")
  int epochs;

  @Option(names = "--ae-batch", defaultValue = "256", description = "Default: ${DEFAULT-VALUE}.")
  int batch;

  @Option(
      names = "--ae-lr",
      defaultValue = "1e-3",
      description = "Adam learning rate. Default: ${DEFAULT-VALUE}.")
  double learningRate;

  @Option(
      names = "--lamp",
      defaultValue = "power",
      description =
          "LAMP amplification for the +LAMP variants (train: none unless given): none, scale, power,"
              + " exp, log-barrier. Default: ${DEFAULT-VALUE}.")
  String lamp;

  @Option(
      names = "--lamp-param",
      description =
          "scale c, power gamma, exp alpha (defaults 1, 0.5, 1);"
              + " log-barrier's c is set from the first losses.")
  Double lampParam;

  @Option(
      names = "--iw-density",
      defaultValue = "kde",
      description = "kde or histogram. Default: ${DEFAULT-VALUE}.")
  String density;

  @Option(
      names = "--iw-target",
      defaultValue = "robust",
      description = "robust (median, 1.4826 MAD) or moment (mean, sd). Default: ${DEFAULT-VALUE}.")
  String target;

  @Option(
      names = "--iw-clip",
      split = ",",
      defaultValue = "0.1,10",
      description = "Weight clip min,max. Default: ${DEFAULT-VALUE}.")
  double[] clip;

  @Option(
      names = "--iw-temper",
      defaultValue = "1",
      description = "w^beta tempering. Default: ${DEFAULT-VALUE}.")
  double temper;

  @Option(
      names = "--iw-warmup",
      defaultValue = "2",
      description = "Unweighted epochs first. Default: ${DEFAULT-VALUE}.")
  int warmup;

  LossAmplification amplification() {
    LossAmplification.Mode mode = LossAmplification.Mode.parse(lamp);
    if (lampParam == null
        || mode == LossAmplification.Mode.LOG_BARRIER
        || mode == LossAmplification.Mode.NONE) {
      return LossAmplification.of(mode);
    }
    return new LossAmplification(mode, lampParam);
  }

  ImportanceWeights.Options weighting() {
    if (clip.length != 2) {
      throw new IllegalArgumentException(
          "--iw-clip takes min,max (got " + clip.length + " values)");
    }
    ImportanceWeights.Density d =
        CliErrors.enumOption(ImportanceWeights.Density.class, density, "--iw-density");
    ScoreTarget t = CliErrors.enumOption(ScoreTarget.class, target, "--iw-target");
    return new ImportanceWeights.Options(d, t, clip[0], clip[1], temper);
  }

  /** The base trainer options (no LAMP, no IW: the variants add them). */
  AutoencoderTrainer.Options trainer(long seed) {
    return new AutoencoderTrainer.Options(
        hidden, epochs, batch, learningRate, seed, LossAmplification.NONE, null, warmup);
  }
}
