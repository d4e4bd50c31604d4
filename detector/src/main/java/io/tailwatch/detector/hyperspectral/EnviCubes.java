package io.tailwatch.detector.hyperspectral;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * ENVI cubes: a text header ({@code .hdr}: samples, lines, bands, header offset, data type,
 * interleave, byte order) beside the raw file (the header's name without {@code .hdr}, or with
 * {@code .img}, {@code .dat}, {@code .raw}, {@code .bsq}, {@code .bil}, {@code .bip}). Reading and
 * writing, every interleave, both byte orders.
 */
public final class EnviCubes {
  private static final String[] DATA_SUFFIXES = {
    "", ".img", ".dat", ".raw", ".bsq", ".bil", ".bip"
  };

  private EnviCubes() {}

  /** The parsed header: the fields this reader uses. */
  public record Header(
      int samples,
      int lines,
      int bands,
      long headerOffset,
      CubeSampleType type,
      CubeInterleave interleave,
      ByteOrder byteOrder) {}

  public static SpectralCube read(Path headerFile) throws IOException {
    Header h = readHeader(headerFile);
    Path data = dataFile(headerFile);
    long need = (long) h.samples() * h.lines() * h.bands() * h.type().bytes();
    long size = Files.size(data);
    if (size < h.headerOffset() + need) {
      throw new IOException(
          data
              + ": holds "
              + size
              + " bytes, header says "
              + h.headerOffset()
              + " + "
              + need
              + " ("
              + h.lines()
              + " lines x "
              + h.samples()
              + " samples x "
              + h.bands()
              + " bands of "
              + h.type()
              + ")");
    }
    if (need > Integer.MAX_VALUE) {
      throw new IOException(data + ": cube of " + need + " bytes is too large to read into memory");
    }
    byte[] all = Files.readAllBytes(data);
    ByteBuffer raw = ByteBuffer.wrap(all, (int) h.headerOffset(), (int) need);
    try {
      return SpectralCube.decode(
          raw, h.lines(), h.samples(), h.bands(), h.interleave(), h.type(), h.byteOrder());
    } catch (IllegalArgumentException e) {
      throw new IOException(data + ": " + e.getMessage(), e);
    }
  }

  public static Header readHeader(Path headerFile) throws IOException {
    String text = Files.readString(headerFile, StandardCharsets.ISO_8859_1);
    if (!text.stripLeading().startsWith("ENVI")) {
      throw new IOException(headerFile + ": not an ENVI header (first line must be 'ENVI')");
    }
    Map<String, String> fields = parse(text);
    int samples = positive(fields, "samples", headerFile);
    int lines = positive(fields, "lines", headerFile);
    int bands = positive(fields, "bands", headerFile);
    long offset = Long.parseLong(fields.getOrDefault("header offset", "0").trim());
    if (offset < 0) {
      throw new IOException(headerFile + ": 'header offset' must not be negative, got " + offset);
    }
    CubeSampleType type;
    try {
      type =
          CubeSampleType.fromEnviCode(
              Integer.parseInt(required(fields, "data type", headerFile).trim()));
    } catch (IllegalArgumentException e) {
      throw new IOException(headerFile + ": " + e.getMessage(), e);
    }
    String il = required(fields, "interleave", headerFile).trim().toUpperCase(Locale.ROOT);
    CubeInterleave interleave;
    try {
      interleave = CubeInterleave.valueOf(il);
    } catch (IllegalArgumentException e) {
      throw new IOException(
          headerFile + ": 'interleave' must be bsq, bil or bip, got '" + il + "'");
    }
    String bo = fields.getOrDefault("byte order", "0").trim();
    ByteOrder order =
        switch (bo) {
          case "0" -> ByteOrder.LITTLE_ENDIAN;
          case "1" -> ByteOrder.BIG_ENDIAN;
          default ->
              throw new IOException(
                  headerFile + ": 'byte order' must be 0 (little) or 1 (big), got '" + bo + "'");
        };
    return new Header(samples, lines, bands, offset, type, interleave, order);
  }

  /**
   * Writes {@code cube} as {@code <base>.hdr} plus raw {@code <base>.img}; returns the header's
   * path.
   */
  public static Path write(
      SpectralCube cube, Path base, CubeInterleave interleave, CubeSampleType type, ByteOrder order)
      throws IOException {
    Path header = base.resolveSibling(base.getFileName() + ".hdr");
    Path data = base.resolveSibling(base.getFileName() + ".img");
    Files.write(data, cube.encode(interleave, type, order));
    String text =
        "ENVI\n"
            + "description = {written by tailwatch}\n"
            + "samples = "
            + cube.samples()
            + "\n"
            + "lines = "
            + cube.lines()
            + "\n"
            + "bands = "
            + cube.bands()
            + "\n"
            + "header offset = 0\n"
            + "file type = ENVI Standard\n"
            + "data type = "
            + type.enviCode()
            + "\n"
            + "interleave = "
            + interleave.name().toLowerCase(Locale.ROOT)
            + "\n"
            + "byte order = "
            + (order == ByteOrder.BIG_ENDIAN ? 1 : 0)
            + "\n";
    Files.writeString(header, text, StandardCharsets.ISO_8859_1);
    return header;
  }

  static Path dataFile(Path headerFile) throws IOException {
    String name = headerFile.getFileName().toString();
    String base =
        name.toLowerCase(Locale.ROOT).endsWith(".hdr")
            ? name.substring(0, name.length() - 4)
            : name;
    for (String suffix : DATA_SUFFIXES) {
      Path candidate = headerFile.resolveSibling(base + suffix);
      if (!candidate.equals(headerFile) && Files.isRegularFile(candidate)) {
        return candidate;
      }
    }
    throw new IOException(
        headerFile
            + ": no data file beside it (looked for "
            + base
            + " with "
            + String.join(", ", DATA_SUFFIXES).replaceFirst("^, ", "no suffix, ")
            + ")");
  }

  /** key = value lines; values in braces may span lines. Keys are lower-cased. */
  static Map<String, String> parse(String text) {
    Map<String, String> out = new LinkedHashMap<>();
    String[] lines = text.split("\\R");
    for (int i = 1; i < lines.length; i++) {
      String line = lines[i];
      int eq = line.indexOf('=');
      if (eq < 0) {
        continue;
      }
      String key = line.substring(0, eq).trim().toLowerCase(Locale.ROOT);
      StringBuilder value = new StringBuilder(line.substring(eq + 1).trim());
      if (value.indexOf("{") == 0) {
        while (value.indexOf("}") < 0 && i + 1 < lines.length) {
          value.append('\n').append(lines[++i]);
        }
      }
      out.put(key, value.toString());
    }
    return out;
  }

  private static String required(Map<String, String> fields, String key, Path file)
      throws IOException {
    String v = fields.get(key);
    if (v == null) {
      throw new IOException(file + ": header lacks '" + key + "'");
    }
    return v;
  }

  private static int positive(Map<String, String> fields, String key, Path file)
      throws IOException {
    String v = required(fields, key, file).trim();
    int n;
    try {
      n = Integer.parseInt(v);
    } catch (NumberFormatException e) {
      throw new IOException(file + ": '" + key + "' must be an integer, got '" + v + "'");
    }
    if (n <= 0) {
      throw new IOException(file + ": '" + key + "' must be positive, got " + n);
    }
    return n;
  }
}
