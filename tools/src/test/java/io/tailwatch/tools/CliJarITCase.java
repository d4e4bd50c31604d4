package io.tailwatch.tools;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The jars the build ships: the CLI jar stays under 120 MB without libtorch, and the autoencoder
 * training that needs libtorch says how to add it, then works with the -libtorch jar beside it
 * (both run as a user would, in a JVM of their own).
 */
class CliJarITCase {
  static final Path TARGET = Path.of("target");

  /** A guard against libtorch or other platforms' natives coming back, not the goal. */
  static final long MAX_CLI_JAR_BYTES = 140L * 1000 * 1000;

  @TempDir Path dir;

  static Path jar(String classifier) throws Exception {
    try (var files = Files.list(TARGET)) {
      return files
          .filter(
              p ->
                  p.getFileName().toString().matches("tailwatch-tools-.*-" + classifier + "\\.jar"))
          .findFirst()
          .orElseThrow(
              () ->
                  new AssertionError("no *-" + classifier + ".jar in " + TARGET.toAbsolutePath()));
    }
  }

  @Test
  void theCliJarIsSmallAndTrainingFindsLibtorchBesideIt() throws Exception {
    Path cli = jar("cli");
    Path libtorch = jar("libtorch");
    assertThat(Files.size(cli)).as("CLI jar bytes").isLessThanOrEqualTo(MAX_CLI_JAR_BYTES);
    try (ZipFile z = new ZipFile(cli.toFile())) {
      assertThat(z.getEntry("native/lib/pytorch.properties"))
          .as("libtorch in the CLI jar")
          .isNull();
      assertThat(z.getEntry("io/tailwatch/tools/TailwatchCli.class")).isNotNull();
    }
    try (ZipFile z = new ZipFile(libtorch.toFile())) {
      assertThat(z.getEntry("native/lib/pytorch.properties")).isNotNull();
    }

    Path scene = dir.resolve("scene.mat");
    HyperspectralCliTest.writeScene(scene);
    List<String> train =
        List.of(
            "train",
            "--input",
            scene.toString(),
            "--out",
            dir.resolve("ae.onnx").toString(),
            "--ae-epochs",
            "2",
            "--ae-hidden",
            "8,2,8");
    Run alone = run(cli.toString(), train);
    assertThat(alone.exit()).as(alone.output()).isNotZero();
    assertThat(alone.output()).contains("needs libtorch").contains("-libtorch.jar");

    Run withLibtorch = run(cli + java.io.File.pathSeparator + libtorch, train);
    assertThat(withLibtorch.exit()).as(withLibtorch.output()).isZero();
    assertThat(dir.resolve("ae.onnx")).exists();
  }

  record Run(int exit, String output) {}

  static Run run(String classPath, List<String> args) throws Exception {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-cp");
    command.add(classPath);
    command.add(TailwatchCli.class.getName());
    command.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.environment().remove("PYTORCH_LIBRARY_PATH");
    Process p = pb.start();
    byte[] out = p.getInputStream().readAllBytes();
    assertThat(p.waitFor(300, TimeUnit.SECONDS)).isTrue();
    return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8));
  }
}
