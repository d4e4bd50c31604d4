package io.tailwatch.tools.benchmark;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * One long-tailed noisy benchmark instance, written by {@code bench longtail build} and read by
 * {@code bench longtail run}: which images each class contributes to training (normal and
 * defective) and to testing, so a run is reproducible from the file alone (plus the simulator's
 * seed and the data folder for Magnetic Tile).
 *
 * <p>Image ids: {@code sim:<VARIANT>:<index>} or {@code sim:<VARIANT>:<index>:<DEFECT>} (a
 * simulator frame), or {@code mt:<path under the Magnetic Tile root>}.
 */
public record LongTailManifest(
    String tail, double noise, long seed, long simulatorSeed, int size, List<ClassEntry> classes) {

  /** One class: its images by role; {@code tail} marks the images TailSampler should find. */
  public record ClassEntry(
      String name,
      boolean tail,
      List<String> train,
      List<String> noise,
      List<String> testGood,
      List<String> testBad) {}

  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  public String fileName() {
    return String.format(Locale.ROOT, "%s-noise%.2f-seed%02d.json", tail, noise, seed);
  }

  public int trainImages() {
    return classes.stream().mapToInt(c -> c.train().size() + c.noise().size()).sum();
  }

  public Path write(Path dir) throws IOException {
    Files.createDirectories(dir);
    Path file = dir.resolve(fileName());
    JSON.writeValue(file.toFile(), this);
    return file;
  }

  public static LongTailManifest read(Path file) throws IOException {
    try {
      return JSON.readValue(file.toFile(), LongTailManifest.class);
    } catch (com.fasterxml.jackson.core.JacksonException e) {
      throw new IOException(
          file + ": not a benchmark manifest (" + e.getOriginalMessage() + ")", e);
    }
  }
}
