package io.tailwatch.detector.hyperspectral;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import us.hebi.matlab.mat.format.Mat5;
import us.hebi.matlab.mat.types.MatFile;
import us.hebi.matlab.mat.types.MatlabType;
import us.hebi.matlab.mat.types.Matrix;
import us.hebi.matlab.mat.types.Sink;
import us.hebi.matlab.mat.types.Sinks;

class MatSceneReaderTest {
  @TempDir Path dir;

  static Path write(Path file, MatlabType type, int deflate, boolean withMap) throws IOException {
    int h = 3;
    int w = 4;
    int b = 5;
    Matrix data = Mat5.newMatrix(new int[] {h, w, b}, type);
    for (int r = 0; r < h; r++) {
      for (int c = 0; c < w; c++) {
        for (int k = 0; k < b; k++) {
          data.setDouble(new int[] {r, c, k}, 100 * r + 10 * c + k);
        }
      }
    }
    MatFile mat = Mat5.newMatFile().addArray("data", data);
    if (withMap) {
      Matrix map = Mat5.newMatrix(new int[] {h, w}, MatlabType.UInt8);
      map.setDouble(new int[] {1, 2}, 1);
      map.setDouble(new int[] {2, 0}, 1);
      mat.addArray("map", map);
    }
    try (Sink sink = Sinks.newStreamingFile(file.toFile())) {
      Mat5.newWriter(sink).setDeflateLevel(deflate).writeMat(mat);
    }
    return file;
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 6})
  void readsDataAndMapCompressedOrNot(int deflate) throws IOException {
    for (MatlabType type :
        new MatlabType[] {MatlabType.Int16, MatlabType.UInt16, MatlabType.Double}) {
      HyperspectralScene scene =
          MatSceneReader.read(
              write(dir.resolve(type + "-" + deflate + ".mat"), type, deflate, true));
      assertThat(scene.cube().values())
          .as("%s deflate %d", type, deflate)
          .containsExactly(EnviCubesTest.indexed(3, 4, 5).values());
      assertThat(scene.anomalousPixels()).isEqualTo(2);
      assertThat(scene.anomalous()[1 * 4 + 2]).isTrue();
      assertThat(scene.anomalous()[2 * 4]).isTrue();
      assertThat(scene.name()).isEqualTo(type + "-" + deflate);
    }
  }

  @Test
  void mapIsOptional() throws IOException {
    HyperspectralScene scene =
        MatSceneReader.read(write(dir.resolve("nomap.mat"), MatlabType.Single, 0, false));
    assertThat(scene.anomalous()).isNull();
  }

  @Test
  void refusesV73AndNonMatFilesAndMissingVariables() throws IOException {
    byte[] head = new byte[512];
    byte[] text =
        "MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: Mon Jan  1 00:00:00 2024 HDF5 schema 1.00 ."
            .getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(text, 0, head, 0, text.length);
    head[124] = 0x00;
    head[125] = 0x02;
    head[126] = 'I';
    head[127] = 'M';
    Path v73 = Files.write(dir.resolve("v73.mat"), head);
    assertThatThrownBy(() -> MatSceneReader.read(v73))
        .hasMessageContaining("MAT v7.3 (HDF5) is not supported")
        .hasMessageContaining("-v7");
    Path junk = Files.write(dir.resolve("junk.mat"), new byte[200]);
    assertThatThrownBy(() -> MatSceneReader.read(junk))
        .hasMessageContaining("not a MATLAB v5 MAT-file");

    MatFile mat = Mat5.newMatFile().addArray("cube", Mat5.newMatrix(2, 2));
    Path other = dir.resolve("other.mat");
    try (Sink sink = Sinks.newStreamingFile(other.toFile())) {
      Mat5.newWriter(sink).writeMat(mat);
    }
    assertThatThrownBy(() -> MatSceneReader.read(other))
        .hasMessageContaining("no variable 'data'")
        .hasMessageContaining("[cube]");
  }
}
