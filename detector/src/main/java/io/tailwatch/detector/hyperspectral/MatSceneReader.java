package io.tailwatch.detector.hyperspectral;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import us.hebi.matlab.mat.format.Mat5;
import us.hebi.matlab.mat.format.Mat5File;
import us.hebi.matlab.mat.types.Array;
import us.hebi.matlab.mat.types.MatFile;
import us.hebi.matlab.mat.types.MatlabType;
import us.hebi.matlab.mat.types.Matrix;

/**
 * Reads a MATLAB v5 {@code .mat} scene (compressed or not): a numeric {@code data} array H x W x B
 * (int16, uint16, single, double, ...) and, when present, a {@code map} H x W whose non-zero
 * entries mark anomalous pixels. MAT v7.3 (HDF5) and v4 files are refused with a message that says
 * how to convert them.
 */
public final class MatSceneReader {
  public static final String DATA = "data";
  public static final String MAP = "map";

  private MatSceneReader() {}

  public static HyperspectralScene read(Path file) throws IOException {
    checkVersion(file);
    try (Mat5File mat = Mat5.readFromFile(file.toFile())) {
      Matrix data = numeric(mat, DATA, file);
      int[] dims = data.getDimensions();
      if (dims.length != 3) {
        throw new IOException(
            file
                + ": '"
                + DATA
                + "' must be H x W x B, found "
                + dims.length
                + " dimensions "
                + java.util.Arrays.toString(dims));
      }
      int h = dims[0];
      int w = dims[1];
      int b = dims[2];
      float[] bip = new float[Math.multiplyExact(Math.multiplyExact(h, w), b)];
      // MATLAB stores column-major: element (r, c, k) at r + h * (c + w * k)
      for (int k = 0; k < b; k++) {
        for (int c = 0; c < w; c++) {
          int base = h * (c + w * k);
          for (int r = 0; r < h; r++) {
            float v = (float) data.getDouble(base + r);
            if (!Float.isFinite(v)) {
              throw new IOException(
                  file
                      + ": '"
                      + DATA
                      + "' holds a non-finite value at ("
                      + (r + 1)
                      + ", "
                      + (c + 1)
                      + ", "
                      + (k + 1)
                      + ")");
            }
            bip[(r * w + c) * b + k] = v;
          }
        }
      }
      boolean[] anomalous = null;
      if (has(mat, MAP)) {
        Matrix map = numeric(mat, MAP, file);
        int[] md = map.getDimensions();
        if (md.length != 2 || md[0] != h || md[1] != w) {
          throw new IOException(
              file
                  + ": '"
                  + MAP
                  + "' is "
                  + java.util.Arrays.toString(md)
                  + ", expected ["
                  + h
                  + ", "
                  + w
                  + "] to match '"
                  + DATA
                  + "'");
        }
        anomalous = new boolean[h * w];
        for (int c = 0; c < w; c++) {
          for (int r = 0; r < h; r++) {
            anomalous[r * w + c] = map.getDouble(r + h * c) != 0;
          }
        }
      }
      String name = file.getFileName().toString().replaceFirst("\\.mat$", "");
      return new HyperspectralScene(name, new SpectralCube(h, w, b, bip), anomalous);
    }
  }

  private static boolean has(MatFile mat, String name) {
    for (MatFile.Entry e : mat.getEntries()) {
      if (e.getName().equals(name)) {
        return true;
      }
    }
    return false;
  }

  private static Matrix numeric(MatFile mat, String name, Path file) throws IOException {
    if (!has(mat, name)) {
      List<String> names = new ArrayList<>();
      mat.getEntries().forEach(e -> names.add(e.getName()));
      throw new IOException(file + ": no variable '" + name + "' (variables: " + names + ")");
    }
    Array a = mat.getArray(name);
    if (!(a instanceof Matrix m)
        || a.getType() == MatlabType.Character
        || a.getType() == MatlabType.Sparse) {
      throw new IOException(
          file + ": '" + name + "' is a " + a.getType() + ", expected a numeric array");
    }
    if (m.isComplex()) {
      throw new IOException(file + ": '" + name + "' is complex; expected real values");
    }
    return m;
  }

  /**
   * MAT v5 has a 128-byte text header whose bytes 124-125 hold version 0x0100; v7.3 is HDF5
   * (0x0200).
   */
  private static void checkVersion(Path file) throws IOException {
    byte[] head = new byte[128];
    int n;
    try (InputStream in = Files.newInputStream(file)) {
      n = in.readNBytes(head, 0, head.length);
    }
    String text = new String(head, 0, Math.min(n, 116), StandardCharsets.US_ASCII);
    if (n < 128 || !text.startsWith("MATLAB")) {
      throw new IOException(
          file
              + ": not a MATLAB v5 MAT-file (no 'MATLAB 5.0 MAT-file' header; v4 files are"
              + " not supported: re-save with save(..., '-v7'))");
    }
    boolean littleEndian = head[126] == 'I' && head[127] == 'M';
    int version =
        littleEndian
            ? (head[124] & 0xff) | (head[125] & 0xff) << 8
            : (head[125] & 0xff) | (head[124] & 0xff) << 8;
    if (version == 0x0200 || text.startsWith("MATLAB 7.3")) {
      throw new IOException(
          file
              + ": MAT v7.3 (HDF5) is not supported; re-save it in MATLAB with"
              + " save(file, 'data', 'map', '-v7') or in Python with scipy.io.savemat");
    }
    if (version != 0x0100) {
      throw new IOException(file + ": unknown MAT-file version 0x" + Integer.toHexString(version));
    }
  }
}
