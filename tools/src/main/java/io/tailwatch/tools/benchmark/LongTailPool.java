package io.tailwatch.tools.benchmark;

import io.tailwatch.detector.data.LabeledImage;
import io.tailwatch.detector.data.MagneticTile;
import io.tailwatch.detector.data.MvtecLayout;
import io.tailwatch.detector.image.FloatImage;
import io.tailwatch.detector.image.ImageDecodeException;
import io.tailwatch.detector.image.ImageDecoder;
import io.tailwatch.detector.sim.ProductLineSimulator;
import io.tailwatch.detector.sim.ProductLineSimulator.Defect;
import io.tailwatch.detector.sim.ProductLineSimulator.Variant;
import io.tailwatch.detector.sim.SimulatedFrame;
import io.tailwatch.detector.tail.LongTailSplit;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The classes a benchmark draws from: each product variant of the simulator as its own class
 * (normal frames at will; defects of every kind), plus Magnetic Tile as one real class when its
 * folder is given (MT_Free as normal images, the five defect folders as defective ones, with their
 * masks), plus every MVTec-layout class under a folder of real classes when one is given (its
 * {@code train/good} as normal images, {@code test/good} as normal test images, its {@code
 * test/<defect>} images as defective test images and as the training pool's noise, masks from
 * {@code ground_truth}). Real images are read at {@code size x size}, the side the manifest names.
 */
public final class LongTailPool {
  public static final String MAGNETIC_TILE = "magnetic-tile";
  private static final long TEST_INDEX_BASE = 1_000_000L;

  /** An image with its ground-truth mask (1 = anomalous; null for a normal image). */
  public record Sample(FloatImage image, FloatImage mask) {}

  private final long simulatorSeed;
  private final int size;
  private final ProductLineSimulator simulator;
  private final int perSimulatedClass;
  private final Path magneticTileRoot;
  private final ImageDecoder decoder = new ImageDecoder();
  private final Path realRoot;
  private final boolean simulated;

  /**
   * @param perSimulatedClass normal training images available in each simulated class
   * @param magneticTileRoot null: simulated classes only
   */
  public LongTailPool(long simulatorSeed, int size, int perSimulatedClass, Path magneticTileRoot) {
    this(simulatorSeed, size, perSimulatedClass, magneticTileRoot, null, true);
  }

  /**
   * @param realRoot a folder of MVTec-layout classes (e.g. {@code $TAILWATCH_DATA_DIR/industrial}),
   *     or null
   * @param simulated whether the simulator's variants are classes too
   */
  public LongTailPool(
      long simulatorSeed,
      int size,
      int perSimulatedClass,
      Path magneticTileRoot,
      Path realRoot,
      boolean simulated) {
    this.simulatorSeed = simulatorSeed;
    this.size = size;
    this.simulator = new ProductLineSimulator(simulatorSeed, size, 0);
    this.perSimulatedClass = perSimulatedClass;
    this.magneticTileRoot = magneticTileRoot;
    this.realRoot = realRoot == null ? null : realRoot.toAbsolutePath().normalize();
    this.simulated = simulated;
  }

  /** A real class's images, each list in a seed's order. */
  private record RealClass(
      List<LabeledImage> trainGood, List<LabeledImage> testGood, List<LabeledImage> defective) {}

  private Map<String, RealClass> realClasses(long seed) throws IOException {
    Map<String, RealClass> out = new LinkedHashMap<>();
    if (realRoot == null) {
      return out;
    }
    for (Path dir : MvtecLayout.findClasses(realRoot)) {
      String name = MvtecLayout.name(realRoot, dir);
      if (name.startsWith("magnetic_tile")) {
        continue; // Magnetic Tile is its own class (--data-dir), not twice
      }
      MvtecLayout.MvtecClass c = MvtecLayout.read(dir, name);
      List<LabeledImage> train = new ArrayList<>(c.train());
      List<LabeledImage> good = new ArrayList<>();
      List<LabeledImage> bad = new ArrayList<>();
      for (LabeledImage i : c.test()) {
        (i.anomalous() ? bad : good).add(i);
      }
      Collections.shuffle(train, new Random(seed * 31 + 3));
      Collections.shuffle(good, new Random(seed * 31 + 4));
      Collections.shuffle(bad, new Random(seed * 31 + 5));
      out.put(name, new RealClass(train, good, bad));
    }
    if (out.isEmpty()) {
      throw new IOException("no MVTec-layout class (a folder with train/good/) under " + realRoot);
    }
    return out;
  }

  /**
   * Builds one benchmark instance: the split's class sizes, then concrete images, all decided by
   * {@code seed}.
   */
  public LongTailManifest build(String tail, double noise, long seed, int test) throws IOException {
    Random random = new Random(seed);
    Map<String, Integer> available = new LinkedHashMap<>();
    if (simulated) {
      for (Variant v : Variant.values()) {
        available.put(v.name(), perSimulatedClass);
      }
    }
    Map<String, RealClass> real = realClasses(seed);
    for (Map.Entry<String, RealClass> e : real.entrySet()) {
      // the noise and the test's defects both come from test/<defect>: keep at least 2 for the test
      available.put(e.getKey(), Math.min(perSimulatedClass, e.getValue().trainGood().size()));
    }
    List<LabeledImage> mtFree = List.of();
    List<LabeledImage> mtDefects = List.of();
    if (magneticTileRoot != null) {
      mtFree = new ArrayList<>(MagneticTile.category(magneticTileRoot, MagneticTile.FREE));
      List<LabeledImage> defects = new ArrayList<>();
      for (String d : MagneticTile.DEFECTS) {
        defects.addAll(MagneticTile.category(magneticTileRoot, d));
      }
      mtDefects = defects;
      Collections.shuffle(mtFree, new Random(seed * 31 + 1));
      Collections.shuffle(mtDefects, new Random(seed * 31 + 2));
      available.put(MAGNETIC_TILE, Math.min(perSimulatedClass, mtFree.size() - test));
    }
    List<LongTailSplit.ClassPlan> plan =
        switch (tail) {
          case "step-k1" -> LongTailSplit.step(available, 1, noise, random);
          case "step-k4" -> LongTailSplit.step(available, 4, noise, random);
          case "pareto" -> LongTailSplit.pareto(available, 6, noise, random);
          default ->
              throw new IllegalArgumentException(
                  "tail must be step-k1, step-k4 or pareto, was '" + tail + "'");
        };
    Defect[] kinds = Defect.values();
    List<LongTailManifest.ClassEntry> classes = new ArrayList<>();
    for (LongTailSplit.ClassPlan p : plan) {
      List<String> train = new ArrayList<>();
      List<String> noisy = new ArrayList<>();
      List<String> good = new ArrayList<>();
      List<String> bad = new ArrayList<>();
      RealClass rc = real.get(p.name());
      if (rc != null) {
        int noiseImages = Math.min(p.noise(), Math.max(0, rc.defective().size() - 2));
        int t = Math.min(test, Math.min(rc.testGood().size(), rc.defective().size() - noiseImages));
        if (t < 2) {
          throw new IOException(
              p.name()
                  + ": too few test images for a test set ("
                  + rc.testGood().size()
                  + " good, "
                  + rc.defective().size()
                  + " defective, "
                  + noise
                  + " of them noise)");
        }
        for (int i = 0; i < t; i++) {
          good.add(real(rc.testGood().get(i)));
          bad.add(real(rc.defective().get(i)));
        }
        for (int i = 0; i < p.normal(); i++) {
          train.add(real(rc.trainGood().get(i)));
        }
        for (int i = 0; i < noiseImages; i++) {
          noisy.add(real(rc.defective().get(t + i)));
        }
      } else if (p.name().equals(MAGNETIC_TILE)) {
        if (mtDefects.size() < test + p.noise()) {
          throw new IOException(
              "Magnetic Tile has "
                  + mtDefects.size()
                  + " defect images; need "
                  + (test + p.noise()));
        }
        for (int i = 0; i < test; i++) {
          good.add(mt(mtFree.get(i)));
          bad.add(mt(mtDefects.get(i)));
        }
        for (int i = 0; i < p.normal(); i++) {
          train.add(mt(mtFree.get(test + i)));
        }
        for (int i = 0; i < p.noise(); i++) {
          noisy.add(mt(mtDefects.get(test + i)));
        }
      } else {
        // simulated frames: training indices start at a seed-dependent offset, tests far above them
        long base = (seed % 1000) * 10_000L;
        for (int i = 0; i < p.normal(); i++) {
          train.add("sim:" + p.name() + ":" + (base + i));
        }
        for (int i = 0; i < p.noise(); i++) {
          noisy.add("sim:" + p.name() + ":" + (base + 5_000 + i) + ":" + kinds[i % kinds.length]);
        }
        for (int i = 0; i < test; i++) {
          good.add("sim:" + p.name() + ":" + (TEST_INDEX_BASE + 2L * i));
          bad.add(
              "sim:"
                  + p.name()
                  + ":"
                  + (TEST_INDEX_BASE + 2L * i + 1)
                  + ":"
                  + kinds[i % kinds.length]);
        }
      }
      classes.add(new LongTailManifest.ClassEntry(p.name(), p.tail(), train, noisy, good, bad));
    }
    return new LongTailManifest(tail, noise, seed, simulatorSeed, size, classes);
  }

  private String real(LabeledImage image) {
    return "real:" + realRoot.relativize(image.image()).toString().replace('\\', '/');
  }

  private String mt(LabeledImage image) {
    return "mt:" + magneticTileRoot.relativize(image.image()).toString().replace('\\', '/');
  }

  /** The image an id names. */
  public FloatImage image(String id) throws IOException {
    if (id.startsWith("sim:")) {
      return simulated(id).toFloatImage();
    }
    if (id.startsWith("real:")) {
      return square(read(realPath(id)));
    }
    return read(mtPath(id));
  }

  /** A real image at the manifest's side (the detector squares it to its input anyway). */
  private FloatImage square(FloatImage image) {
    return image.width() == size && image.height() == size
        ? image
        : io.tailwatch.detector.image.Resampler.resize(image, size, size);
  }

  private Path realPath(String id) throws IOException {
    if (realRoot == null) {
      throw new IOException(
          "the manifest uses real classes ('" + id + "'); give their folder (--real)");
    }
    Path p = realRoot.resolve(id.substring("real:".length())).normalize();
    if (!p.startsWith(realRoot)) {
      throw new IllegalArgumentException("image id escapes the dataset folder: '" + id + "'");
    }
    return p;
  }

  /** A real test image's mask, by the MVTec convention; null for a normal image or none on disk. */
  private Path realMask(Path image) {
    Path typeDir = image.getParent();
    if (typeDir.getFileName().toString().equals(LabeledImage.GOOD)) {
      return null;
    }
    Path classDir = typeDir.getParent().getParent();
    String name = image.getFileName().toString();
    int dot = name.lastIndexOf('.');
    Path mask =
        classDir
            .resolve(MvtecLayout.GROUND_TRUTH)
            .resolve(typeDir.getFileName().toString())
            .resolve((dot < 0 ? name : name.substring(0, dot)) + MvtecLayout.MASK_SUFFIX);
    return java.nio.file.Files.exists(mask) ? mask : null;
  }

  /** The image an id names with its mask, each read (or rendered) once. */
  public Sample load(String id) throws IOException {
    if (id.startsWith("real:")) {
      Path image = realPath(id);
      Path mask = realMask(image);
      return new Sample(square(read(image)), mask == null ? null : square(read(mask)));
    }
    if (id.startsWith("sim:")) {
      SimulatedFrame f = simulated(id);
      if (!f.defective()) {
        return new Sample(f.toFloatImage(), null);
      }
      float[] m = new float[f.mask().length];
      for (int i = 0; i < m.length; i++) {
        m[i] = f.mask()[i] != 0 ? 1f : 0f;
      }
      return new Sample(f.toFloatImage(), new FloatImage(f.width(), f.height(), 1, m));
    }
    Path jpg = mtPath(id);
    if (jpg.getParent().getParent().getFileName().toString().equals(MagneticTile.FREE)) {
      return new Sample(read(jpg), null);
    }
    String name = jpg.getFileName().toString();
    return new Sample(
        read(jpg), read(jpg.resolveSibling(name.substring(0, name.length() - 4) + ".png")));
  }

  private SimulatedFrame simulated(String id) {
    String[] parts = id.split(":");
    if (parts.length < 3 || parts.length > 4) {
      throw new IllegalArgumentException("bad simulator image id '" + id + "'");
    }
    Variant v = Variant.valueOf(parts[1]);
    Defect d = parts.length == 4 ? Defect.valueOf(parts[3]) : null;
    return simulator.frame(Long.parseLong(parts[2]), v, d);
  }

  private Path mtPath(String id) throws IOException {
    if (!id.startsWith("mt:")) {
      throw new IllegalArgumentException(
          "unknown image id '" + id + "' (expected sim:... or mt:...)");
    }
    if (magneticTileRoot == null) {
      throw new IOException(
          "the manifest uses Magnetic Tile images; set TAILWATCH_DATA_DIR or --data-dir");
    }
    Path p = magneticTileRoot.resolve(id.substring(3)).normalize();
    if (!p.startsWith(magneticTileRoot)) {
      throw new IllegalArgumentException("image id escapes the dataset folder: '" + id + "'");
    }
    return p;
  }

  private FloatImage read(Path file) throws IOException {
    try {
      return decoder.read(file);
    } catch (ImageDecodeException e) {
      throw new IOException(file + ": " + e.getMessage(), e);
    }
  }
}
