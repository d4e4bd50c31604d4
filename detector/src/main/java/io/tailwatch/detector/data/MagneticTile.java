package io.tailwatch.detector.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

/**
 * The Magnetic Tile defect dataset (Huang et al. 2020): {@code MT_Free} (defect-free) and {@code
 * MT_Blowhole/Break/Crack/Fray/Uneven}, each {@code Imgs/*.jpg} with a same-name {@code .png} mask.
 */
public final class MagneticTile {
  public static final String FREE = "MT_Free";
  public static final List<String> DEFECTS =
      List.of("MT_Blowhole", "MT_Break", "MT_Crack", "MT_Fray", "MT_Uneven");

  /** Where the dataset sits below TAILWATCH_DATA_DIR. */
  public static final Path RELATIVE_ROOT = Path.of("industrial", "magnetic_tile");

  /** Training images (normal only) and test images (held-out normal + every defective image). */
  public record Split(List<LabeledImage> train, List<LabeledImage> test) {}

  private MagneticTile() {}

  /** Accepts the dataset folder itself or a data directory containing {@link #RELATIVE_ROOT}. */
  public static Path resolveRoot(Path dir) throws IOException {
    if (Files.isDirectory(dir.resolve(FREE))) {
      return dir;
    }
    Path nested = dir.resolve(RELATIVE_ROOT);
    if (Files.isDirectory(nested.resolve(FREE))) {
      return nested;
    }
    throw new NoSuchFileException(
        dir.toAbsolutePath().toString(),
        null,
        "no Magnetic Tile dataset here (expected "
            + FREE
            + "/ or "
            + RELATIVE_ROOT
            + "/"
            + FREE
            + "/)");
  }

  public static List<LabeledImage> category(Path root, String folder) throws IOException {
    Path imgs = root.resolve(folder).resolve("Imgs");
    if (!Files.isDirectory(imgs)) {
      throw new NoSuchFileException(imgs.toString(), null, "Magnetic Tile category folder missing");
    }
    boolean defect = !folder.equals(FREE);
    String type = defect ? folder.substring(3).toLowerCase() : LabeledImage.GOOD;
    List<LabeledImage> out = new ArrayList<>();
    try (Stream<Path> files = Files.list(imgs)) {
      for (Path jpg :
          files.filter(p -> p.getFileName().toString().endsWith(".jpg")).sorted().toList()) {
        String name = jpg.getFileName().toString();
        Path mask = imgs.resolve(name.substring(0, name.length() - 4) + ".png");
        if (defect && !Files.isRegularFile(mask)) {
          throw new NoSuchFileException(mask.toString(), null, "defect image without its mask");
        }
        out.add(new LabeledImage(jpg, defect ? mask : null, type, defect));
      }
    }
    if (out.isEmpty()) {
      throw new IOException("no .jpg images in " + imgs);
    }
    return out;
  }

  /**
   * Seeded split: {@code trainFraction} of MT_Free to train, the rest plus every defect image to
   * test.
   */
  public static Split split(Path root, double trainFraction, long seed) throws IOException {
    if (!(trainFraction > 0 && trainFraction < 1)) {
      throw new IllegalArgumentException("train fraction must be in (0,1), was " + trainFraction);
    }
    List<LabeledImage> free = new ArrayList<>(category(root, FREE));
    Collections.shuffle(free, new Random(seed));
    int nTrain = (int) Math.round(free.size() * trainFraction);
    List<LabeledImage> train = List.copyOf(free.subList(0, nTrain));
    List<LabeledImage> test = new ArrayList<>(free.subList(nTrain, free.size()));
    for (String d : DEFECTS) {
      test.addAll(category(root, d));
    }
    return new Split(train, List.copyOf(test));
  }
}
