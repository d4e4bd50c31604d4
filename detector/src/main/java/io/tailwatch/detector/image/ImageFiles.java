package io.tailwatch.detector.image;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Lists the image files of a folder, sorted, failing clearly on a missing or empty folder. Training
 * and scoring read images, never their labels: {@link #select} leaves out pixel masks (anything
 * under a {@code ground_truth} folder, {@code *_mask.*} files, and a PNG beside a same-name JPEG,
 * Magnetic Tile's layout) and applies include/exclude globs.
 */
public final class ImageFiles {
  private ImageFiles() {}

  /** The images chosen, and how many image files were left out and why. */
  public record Selection(List<Path> images, int masks, int excluded) {
    public String describe() {
      return String.format(
          Locale.ROOT,
          "%d images used, %d skipped (%d masks or ground truth, %d not matching --include/--exclude)",
          images.size(),
          masks + excluded,
          masks,
          excluded);
    }
  }

  public static boolean isImage(Path p) {
    String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
    return n.endsWith(".png") || n.endsWith(".jpg") || n.endsWith(".jpeg") || n.endsWith(".bmp");
  }

  /** Every image file, masks included (for replays of a folder as it is). */
  public static List<Path> list(Path dir, boolean recursive) throws IOException {
    List<Path> files = walk(dir, recursive);
    if (files.isEmpty()) {
      throw new IOException("no images (.png/.jpg/.jpeg/.bmp) in " + dir.toAbsolutePath());
    }
    return files;
  }

  /**
   * The images of a folder without masks, filtered by globs on the path relative to {@code dir}
   * ({@code **}{@code /good/*.png}; an empty include list takes everything).
   */
  public static Selection select(
      Path dir, boolean recursive, List<String> includes, List<String> excludes)
      throws IOException {
    List<PathMatcher> in = matchers(includes);
    List<PathMatcher> out = matchers(excludes);
    List<Path> all = walk(dir, recursive);
    Set<String> jpegStems = new HashSet<>();
    for (Path p : all) {
      String n = p.toString().toLowerCase(Locale.ROOT);
      if (n.endsWith(".jpg") || n.endsWith(".jpeg")) {
        jpegStems.add(stem(p));
      }
    }
    List<Path> chosen = new ArrayList<>();
    int masks = 0;
    int excluded = 0;
    for (Path p : all) {
      Path relative = dir.relativize(p);
      if (isMask(relative, jpegStems.contains(stem(p)))) {
        masks++;
      } else if (!in.isEmpty() && in.stream().noneMatch(m -> m.matches(relative))
          || out.stream().anyMatch(m -> m.matches(relative))) {
        excluded++;
      } else {
        chosen.add(p);
      }
    }
    if (chosen.isEmpty()) {
      throw new IOException(
          "no images (.png/.jpg/.jpeg/.bmp) in "
              + dir.toAbsolutePath()
              + (all.isEmpty()
                  ? ""
                  : " after leaving out "
                      + masks
                      + " masks and "
                      + excluded
                      + " files not matching --include/--exclude"));
    }
    return new Selection(List.copyOf(chosen), masks, excluded);
  }

  /** A label, not an image: ground truth folders, *_mask files, a PNG twin of a JPEG. */
  static boolean isMask(Path relative, boolean hasJpegTwin) {
    for (Path part : relative) {
      if (part.toString().equalsIgnoreCase("ground_truth")) {
        return true;
      }
    }
    String name = relative.getFileName().toString().toLowerCase(Locale.ROOT);
    return name.matches(".*_mask\\.[a-z]+") || name.endsWith(".png") && hasJpegTwin;
  }

  /** The path without its file extension ({@code a/b.png} -> {@code a/b}). */
  public static String stem(Path p) {
    return p.toString().replaceFirst("\\.[^./\\\\]+$", "");
  }

  private static List<PathMatcher> matchers(List<String> globs) {
    List<PathMatcher> out = new ArrayList<>();
    if (globs != null) {
      for (String g : globs) {
        out.add(FileSystems.getDefault().getPathMatcher("glob:" + g));
      }
    }
    return out;
  }

  private static List<Path> walk(Path dir, boolean recursive) throws IOException {
    if (!Files.isDirectory(dir)) {
      throw new NoSuchFileException(dir.toAbsolutePath().toString(), null, "not a directory");
    }
    try (Stream<Path> s = recursive ? Files.walk(dir) : Files.list(dir)) {
      return s.filter(Files::isRegularFile).filter(ImageFiles::isImage).sorted().toList();
    }
  }
}
