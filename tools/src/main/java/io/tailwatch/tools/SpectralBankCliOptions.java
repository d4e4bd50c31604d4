package io.tailwatch.tools;

import io.tailwatch.detector.hyperspectral.SpectralBankDetector;
import io.tailwatch.detector.hyperspectral.SpectralFeatures;
import picocli.CommandLine.Option;

/** Spectral memory bank options of {@code evaluate} on hyperspectral scenes. */
final class SpectralBankCliOptions {
  @Option(
      names = "--bank-size",
      defaultValue = "1024",
      description = "Bank vectors per half. Default: ${DEFAULT-VALUE}.")
  int bankSize;

  @Option(
      names = "--bank-selection",
      defaultValue = "random",
      description =
          "random or coreset (a coreset keeps an unlabelled scene's anomalies). Default: ${DEFAULT-VALUE}.")
  String selection;

  @Option(
      names = "--spectral-normalisation",
      defaultValue = "standardise",
      description = "none, standardise, l2. Default: ${DEFAULT-VALUE}.")
  String normalisation;

  @Option(
      names = "--spectral-projection",
      defaultValue = "pca",
      description = "none, pca, random. Default: ${DEFAULT-VALUE}.")
  String projection;

  @Option(
      names = "--spectral-dim",
      defaultValue = "10",
      description = "Projected dimension. Default: ${DEFAULT-VALUE}.")
  int dim;

  @Option(
      names = "--neighbourhood",
      defaultValue = "1",
      description = "1 (spectrum) or 3 (spectrum + 3x3 mean). Default: ${DEFAULT-VALUE}.")
  int neighbourhood;

  SpectralBankDetector.Options options() {
    var norm =
        CliErrors.enumOption(
            SpectralFeatures.Normalisation.class, normalisation, "--spectral-normalisation");
    var proj =
        CliErrors.enumOption(
            SpectralFeatures.Projection.class, projection, "--spectral-projection");
    var sel =
        CliErrors.enumOption(SpectralBankDetector.Selection.class, selection, "--bank-selection");
    return new SpectralBankDetector.Options(
        new SpectralFeatures.Options(neighbourhood, norm, proj, dim, 1), bankSize, sel, 1);
  }
}
