package io.tailwatch.detector.image;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/** Lists image files of a folder, sorted, failing clearly on a missing or empty folder. */
public final class ImageFiles {
  private ImageFiles() {}

  public static boolean isImage(Path p) {
    String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
    return n.endsWith(".png") || n.endsWith(".jpg") || n.endsWith(".jpeg") || n.endsWith(".bmp");
  }

  public static List<Path> list(Path dir, boolean recursive) throws IOException {
    if (!Files.isDirectory(dir)) {
      throw new NoSuchFileException(dir.toAbsolutePath().toString(), null, "not a directory");
    }
    try (Stream<Path> s = recursive ? Files.walk(dir) : Files.list(dir)) {
      List<Path> files =
          s.filter(Files::isRegularFile).filter(ImageFiles::isImage).sorted().toList();
      if (files.isEmpty()) {
        throw new IOException("no images (.png/.jpg/.jpeg/.bmp) in " + dir.toAbsolutePath());
      }
      return files;
    }
  }
}
