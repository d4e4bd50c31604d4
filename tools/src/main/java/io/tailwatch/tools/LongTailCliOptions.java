package io.tailwatch.tools;

import io.tailwatch.detector.tail.LongTailFitter;
import io.tailwatch.detector.tail.TailAugmentation;
import picocli.CommandLine.Option;

/** SoftPatch / TailedCore parameters, shared by {@code fit} and {@code evaluate}. */
final class LongTailCliOptions {
  @Option(
      names = "--tail-augmentation",
      defaultValue = "rot15flip",
      description =
          "tailedcore: copies of tail images: rot15flip (47), rot30flip (23), rotflip (7), none. "
              + "Default: ${DEFAULT-VALUE}.")
  String tailAugmentation;

  @Option(
      names = "--lof-k",
      defaultValue = "6",
      description = "softpatch/tailedcore: LOF neighbours. Default: ${DEFAULT-VALUE}.")
  int lofK;

  @Option(
      names = "--lof-drop-quantile",
      defaultValue = "0.85",
      description =
          "softpatch/tailedcore: patches with LOF at or above this quantile are dropped. Default: ${DEFAULT-VALUE}.")
  double lofDropQuantile;

  @Option(
      names = "--tail-coreset",
      defaultValue = "exact",
      description =
          "tailedcore: coreset of the tail and head memories: exact (the paper's greedy; about 300"
              + " vectors/s on 2 cores, minutes per class with many tail copies) or approximate."
              + " Default: ${DEFAULT-VALUE}.")
  String tailCoreset;

  /** The options, validated (an unknown augmentation or an out-of-range value fails here). */
  LongTailFitter.Options options() {
    return new LongTailFitter.Options(
        TailAugmentation.parse(tailAugmentation),
        lofK,
        lofDropQuantile,
        128,
        io.tailwatch.detector.bank.CoresetMethod.parse(tailCoreset));
  }
}
