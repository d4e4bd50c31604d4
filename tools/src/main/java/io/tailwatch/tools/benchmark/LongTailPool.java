package io.tailwatch.tools.benchmark;

import io.tailwatch.detector.data.LabeledImage;
import io.tailwatch.detector.data.MagneticTile;
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
 * masks).
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

  /**
   * @param perSimulatedClass normal training images available in each simulated class
   * @param magneticTileRoot null: simulated classes only
   */
  public LongTailPool(long simulatorSeed, int size, int perSimulatedClass, Path magneticTileRoot) {
    this.simulatorSeed = simulatorSeed;
    this.size = size;
    this.simulator = new ProductLineSimulator(simulatorSeed, size, 0);
    this.perSimulatedClass = perSimulatedClass;
    this.magneticTileRoot = magneticTileRoot;
  }

  /**
   * Builds one benchmark instance: the split's class sizes, then concrete images, all decided by
   * {@code seed}.
   */
  public LongTailManifest build(String tail, double noise, long seed, int test) throws IOException {
    Random random = new Random(seed);
    Map<String, Integer> available = new LinkedHashMap<>();
    for (Variant v : Variant.values()) {
      available.put(v.name(), perSimulatedClass);
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
      if (p.name().equals(MAGNETIC_TILE)) {
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

  private String mt(LabeledImage image) {
    return "mt:" + magneticTileRoot.relativize(image.image()).toString().replace('\\', '/');
  }

  /** The image an id names. */
  public FloatImage image(String id) throws IOException {
    if (id.startsWith("sim:")) {
      return simulated(id).toFloatImage();
    }
    return read(mtPath(id));
  }

  /** The image an id names with its mask, each read (or rendered) once. */
  public Sample load(String id) throws IOException {
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
