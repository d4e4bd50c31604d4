package io.tailwatch.tools;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Command lines on the generated tiny backbone: the options every such test repeats. */
final class TinyCli {
  private TinyCli() {}

  /**
   * {@code command} + {@code args} + the tiny backbone's layers, 32-pixel input, CPU, coreset 0.2.
   */
  static String[] withTinyBackbone(Path model, String command, String... args) {
    List<String> all = new ArrayList<>();
    all.add(command);
    all.addAll(List.of(args));
    all.addAll(
        List.of(
            "--backbone",
            model.toString(),
            "--layers",
            "feat_a,feat_b",
            "--pretrain-dim",
            "36",
            "--target-dim",
            "32",
            "--resize",
            "32",
            "--coreset",
            "0.2",
            "--device",
            "cpu"));
    return all.toArray(String[]::new);
  }
}
