package io.tailwatch.tools.benchmark;

import static org.assertj.core.api.Assertions.assertThat;

import io.tailwatch.detector.data.MagneticTile;
import io.tailwatch.detector.testing.SharedFixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The manifests committed in experiments/longtail are what {@code bench longtail build} makes from
 * their own parameters (the README's commands), so the published results can be reproduced image
 * for image.
 */
class CommittedManifestsTest {
  static final Path DIR = Path.of("..", "experiments", "longtail");

  @Test
  void everyCommittedManifestIsRebuiltExactly() throws Exception {
    Path root =
        MagneticTile.resolveRoot(SharedFixtures.dataPath(MagneticTile.RELATIVE_ROOT.toString()));
    List<Path> files;
    try (Stream<Path> s = Files.list(DIR)) {
      files = s.filter(f -> f.toString().endsWith(".json")).sorted().toList();
    }
    assertThat(files).hasSizeGreaterThanOrEqualTo(10);
    for (Path file : files) {
      LongTailManifest committed = LongTailManifest.read(file);
      int pool = committed.classes().stream().mapToInt(c -> c.train().size()).max().orElseThrow();
      int test = committed.classes().get(0).testGood().size();
      LongTailManifest rebuilt =
          new LongTailPool(committed.simulatorSeed(), committed.size(), pool, root)
              .build(committed.tail(), committed.noise(), committed.seed(), test);
      assertThat(rebuilt).as(file.toString()).isEqualTo(committed);
      assertThat(file.getFileName().toString()).isEqualTo(committed.fileName());
    }
  }

  /**
   * The real-classes manifests (experiments/longtail/real: the 18 MVTec-layout classes, no
   * simulator) rebuild the same from the data folder.
   */
  @Test
  void everyCommittedRealManifestIsRebuiltExactly() throws Exception {
    Path industrial = SharedFixtures.dataPath("industrial");
    List<Path> files;
    try (Stream<Path> s = Files.list(DIR.resolve("real"))) {
      files = s.filter(f -> f.toString().endsWith(".json")).sorted().toList();
    }
    assertThat(files).hasSizeGreaterThanOrEqualTo(6);
    for (Path file : files) {
      LongTailManifest committed = LongTailManifest.read(file);
      int pool = committed.classes().stream().mapToInt(c -> c.train().size()).max().orElseThrow();
      int test =
          committed.classes().stream().mapToInt(c -> c.testGood().size()).max().orElseThrow();
      LongTailManifest rebuilt =
          new LongTailPool(
                  committed.simulatorSeed(), committed.size(), pool, null, industrial, false)
              .build(committed.tail(), committed.noise(), committed.seed(), test);
      assertThat(rebuilt).as(file.toString()).isEqualTo(committed);
    }
  }
}
