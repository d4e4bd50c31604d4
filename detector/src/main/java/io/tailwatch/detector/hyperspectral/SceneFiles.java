package io.tailwatch.detector.hyperspectral;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * Finds labelled hyperspectral scenes: {@code abu} (the ABU scenes {@code abu-*.mat}), {@code
 * hydice} ({@code hydice*.mat}), under {@code <data dir>/hyperspectral} or the data directory
 * itself, or every {@code .mat} file in a directory given instead of a name.
 */
public final class SceneFiles {
  private SceneFiles() {}

  public static boolean isSceneDataset(String dataset) {
    return dataset.equals("abu") || dataset.equals("hydice") || Files.isDirectory(Path.of(dataset));
  }

  public static List<Path> resolve(String dataset, Path dataDir) throws IOException {
    String prefix =
        switch (dataset) {
          case "abu" -> "abu-";
          case "hydice" -> "hydice";
          default -> null;
        };
    if (prefix == null) {
      Path dir = Path.of(dataset);
      if (!Files.isDirectory(dir)) {
        throw new IOException(
            "dataset '" + dataset + "' is neither abu, hydice nor a directory of .mat scenes");
      }
      List<Path> scenes = list(dir, "");
      if (scenes.isEmpty()) {
        throw new IOException(
            dir.toAbsolutePath()
                + " holds no .mat scenes (nor an MVTec-layout class: a folder with train/good/)");
      }
      return scenes;
    }
    if (dataDir == null) {
      throw new IOException(
          "no data directory for '" + dataset + "': set TAILWATCH_DATA_DIR or --data-dir");
    }
    for (Path dir : new Path[] {dataDir.resolve("hyperspectral"), dataDir}) {
      if (Files.isDirectory(dir)) {
        List<Path> found = list(dir, prefix);
        if (!found.isEmpty()) {
          return found;
        }
      }
    }
    throw new IOException(
        "no "
            + prefix
            + "*.mat scenes under "
            + dataDir.resolve("hyperspectral")
            + " or "
            + dataDir
            + " (see the README's data section for where to download ABU and HYDICE)");
  }

  private static List<Path> list(Path dir, String prefix) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files
          .filter(
              p -> {
                String n = p.getFileName().toString();
                return n.startsWith(prefix) && n.endsWith(".mat");
              })
          .sorted()
          .toList();
    }
  }
}
