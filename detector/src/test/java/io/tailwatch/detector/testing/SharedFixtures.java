package io.tailwatch.detector.testing;

import static org.junit.jupiter.api.Assertions.fail;

import io.tailwatch.detector.util.SharedDirs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;

/**
 * Real models and data come from {@code TAILWATCH_MODEL_DIR} / {@code TAILWATCH_DATA_DIR}. Unset:
 * the test is skipped with a message naming the variable (a fresh clone passes). Set but missing
 * the file: the test fails loudly (CI sets both, so missing data there is a real error).
 */
public final class SharedFixtures {
  private SharedFixtures() {}

  public static Path modelFile(String name) {
    return require(SharedDirs.MODEL_DIR, name);
  }

  public static Path dataPath(String relative) {
    return require(SharedDirs.DATA_DIR, relative);
  }

  private static Path require(String variable, String relative) {
    Optional<Path> dir = SharedDirs.fromEnv(variable);
    Assumptions.assumeTrue(
        dir.isPresent(),
        variable
            + " is not set: skipping this test, which needs "
            + relative
            + " from it (see README 'Models and data')");
    Path p = dir.get().resolve(relative);
    if (!Files.exists(p)) {
      fail(variable + "=" + dir.get() + " is set but " + p.toAbsolutePath() + " does not exist");
    }
    return p;
  }
}
