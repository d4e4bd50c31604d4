package io.tailwatch.detector.data;

import io.tailwatch.detector.image.ImageFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The MVTec AD folder layout, which anomalib, PatchCore and most public industrial datasets use:
 *
 * <pre>
 * class/train/good/*                                  defect-free training images
 * class/test/good/*                                   defect-free test images
 * class/test/&lt;defect type&gt;/*                          defective test images
 * class/ground_truth/&lt;defect type&gt;/&lt;stem&gt;_mask.png   0 = normal, 255 = defect, same size as the image
 * </pre>
 *
 * A class without {@code ground_truth/} has image labels only (no pixel metrics); a class with it
 * must have a mask for every defective image, or reading it fails naming the missing file.
 */
public final class MvtecLayout {
  public static final String TRAIN = "train";
  public static final String TEST = "test";
  public static final String GROUND_TRUTH = "ground_truth";
  public static final String MASK_SUFFIX = "_mask.png";

  /** How deep below a root {@link #findClasses} looks: dataset/class is two levels. */
  static final int MAX_DEPTH = 3;

  /**
   * One class: its training (normal) images and its test images with labels and masks.
   *
   * @param name the class's path below the root it was found under ("aitex/fabric01"), or its
   *     folder name when it was given itself
   */
  public record MvtecClass(
      String name, Path dir, List<LabeledImage> train, List<LabeledImage> test, boolean hasMasks) {
    public long defective() {
      return test.stream().filter(LabeledImage::anomalous).count();
    }

    public long testGood() {
      return test.size() - defective();
    }
  }

  private MvtecLayout() {}

  /** A folder is a class when it has {@code train/good/}. */
  public static boolean isClass(Path dir) {
    return Files.isDirectory(dir.resolve(TRAIN).resolve(LabeledImage.GOOD));
  }

  /**
   * The classes at or below {@code root} (the root itself when it is one), sorted by path. Folders
   * without {@code train/good/} (e.g. the {@code highres/} test-only sets) are not classes.
   */
  public static List<Path> findClasses(Path root) throws IOException {
    if (!Files.isDirectory(root)) {
      throw new NoSuchFileException(root.toString(), null, "not a directory");
    }
    if (isClass(root)) {
      return List.of(root);
    }
    List<Path> classes;
    try (Stream<Path> walk = Files.walk(root, MAX_DEPTH)) {
      classes =
          walk.filter(Files::isDirectory)
              .filter(d -> !d.equals(root))
              .filter(MvtecLayout::isClass)
              .sorted()
              .toList();
    }
    if (classes.isEmpty()) {
      throw new NoSuchFileException(
          root.toString(),
          null,
          "no MVTec-layout class here: a class is a folder with train/good/ (searched "
              + MAX_DEPTH
              + " levels down)");
    }
    return classes;
  }

  /** The class's name below {@code root}: its relative path, or its folder name at the root. */
  public static String name(Path root, Path classDir) {
    Path rel = root.relativize(classDir);
    String n = rel.toString().replace('\\', '/');
    return n.isEmpty() ? classDir.toAbsolutePath().normalize().getFileName().toString() : n;
  }

  /** Reads one class, checking that every defective image has its mask when the class has masks. */
  public static MvtecClass read(Path classDir, String name) throws IOException {
    if (!isClass(classDir)) {
      throw new NoSuchFileException(
          classDir.resolve(TRAIN).resolve(LabeledImage.GOOD).toString(),
          null,
          "not an MVTec-layout class (train/good/ missing)");
    }
    return read(classDir, name, List.of(classDir.resolve(TRAIN).resolve(LabeledImage.GOOD)));
  }

  /**
   * Reads the test images (and masks) of {@code classDir} with normal training images from other
   * folders: for test-only sets such as {@code highres/}, whose frames are the same product at its
   * native resolution.
   */
  public static MvtecClass read(Path classDir, String name, List<Path> trainGood)
      throws IOException {
    if (trainGood.isEmpty()) {
      throw new IllegalArgumentException("no training folders for " + name);
    }
    List<LabeledImage> train = new ArrayList<>();
    for (Path dir : trainGood) {
      if (!Files.isDirectory(dir)) {
        throw new NoSuchFileException(dir.toString(), null, "training folder not found");
      }
      for (Path p : images(dir)) {
        train.add(new LabeledImage(p, null, LabeledImage.GOOD, false));
      }
    }
    Path testDir = classDir.resolve(TEST);
    if (!Files.isDirectory(testDir)) {
      throw new NoSuchFileException(testDir.toString(), null, "class has no test/ folder");
    }
    Path truth = classDir.resolve(GROUND_TRUTH);
    boolean hasMasks = Files.isDirectory(truth);
    List<LabeledImage> test = new ArrayList<>();
    List<Path> types;
    try (Stream<Path> list = Files.list(testDir)) {
      types = list.filter(Files::isDirectory).sorted().toList();
    }
    for (Path typeDir : types) {
      String type = typeDir.getFileName().toString();
      boolean defective = !type.equals(LabeledImage.GOOD);
      for (Path p : images(typeDir)) {
        Path mask = null;
        if (defective && hasMasks) {
          mask = truth.resolve(type).resolve(ImageFiles.stem(p.getFileName()) + MASK_SUFFIX);
          if (!Files.isRegularFile(mask)) {
            throw new NoSuchFileException(
                mask.toString(),
                null,
                "mask missing for defective test image " + classDir.relativize(p));
          }
        }
        test.add(new LabeledImage(p, mask, type, defective));
      }
    }
    if (test.stream().noneMatch(LabeledImage::anomalous)
        || test.stream().allMatch(LabeledImage::anomalous)) {
      throw new IOException(
          testDir
              + ": needs both test/good/ images and defective images (test/<defect type>/) for the"
              + " metrics");
    }
    return new MvtecClass(name, classDir, List.copyOf(train), List.copyOf(test), hasMasks);
  }

  private static List<Path> images(Path dir) throws IOException {
    try (Stream<Path> list = Files.list(dir)) {
      List<Path> images =
          list.filter(Files::isRegularFile)
              .filter(ImageFiles::isImage)
              .filter(p -> !p.getFileName().toString().startsWith("."))
              .sorted()
              .toList();
      if (images.isEmpty()) {
        throw new IOException("no images (.png/.jpg/.jpeg/.bmp) in " + dir);
      }
      return images;
    }
  }
}
