package io.tailwatch.detector.hyperspectral;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class EnviCubesTest {
  @TempDir Path dir;

  /** value = 100 * line + 10 * sample + band, so any mix-up of axes shows. */
  static SpectralCube indexed(int lines, int samples, int bands) {
    float[] v = new float[lines * samples * bands];
    for (int l = 0; l < lines; l++) {
      for (int s = 0; s < samples; s++) {
        for (int b = 0; b < bands; b++) {
          v[(l * samples + s) * bands + b] = 100 * l + 10 * s + b;
        }
      }
    }
    return new SpectralCube(lines, samples, bands, v);
  }

  @ParameterizedTest
  @EnumSource(CubeInterleave.class)
  void roundTripsEveryInterleaveAndByteOrder(CubeInterleave interleave) throws IOException {
    SpectralCube cube = indexed(3, 4, 5);
    for (ByteOrder order : new ByteOrder[] {ByteOrder.BIG_ENDIAN, ByteOrder.LITTLE_ENDIAN}) {
      for (CubeSampleType type : CubeSampleType.values()) {
        Path hdr =
            EnviCubes.write(
                cube, dir.resolve(interleave + "-" + order + "-" + type), interleave, type, order);
        SpectralCube back = EnviCubes.read(hdr);
        assertThat(back.values())
            .as("%s %s %s", interleave, order, type)
            .containsExactly(cube.values());
        assertThat(EnviCubes.readHeader(hdr).byteOrder()).isEqualTo(order);
      }
    }
  }

  @Test
  void readsHandWrittenBilBigEndianBytes() throws IOException {
    // 2 lines x 3 samples x 2 bands, uint16 big-endian, BIL: line 0 band 0 samples, line 0 band 1,
    // line 1 ...
    ByteBuffer b = ByteBuffer.allocate(24).order(ByteOrder.BIG_ENDIAN);
    int[] bil = {0, 10, 20, 1, 11, 21, 100, 110, 120, 101, 111, 121};
    for (int v : bil) {
      b.putShort((short) v);
    }
    Files.write(dir.resolve("scene.bil"), b.array());
    Files.writeString(
        dir.resolve("scene.hdr"),
        "ENVI\nsamples = 3\nlines = 2\nbands = 2\nheader offset = 0\n"
            + "data type = 12\ninterleave = bil\nbyte order = 1\nwavelength = {\n 400.0,\n 410.0}\n");
    SpectralCube cube = EnviCubes.read(dir.resolve("scene.hdr"));
    assertThat(cube.values()).containsExactly(indexed(2, 3, 2).values());
  }

  @Test
  void unsignedSixteenBitKeepsValuesAbove32767() throws IOException {
    SpectralCube cube = new SpectralCube(1, 1, 2, new float[] {40000, 65535});
    Path hdr =
        EnviCubes.write(
            cube,
            dir.resolve("u16"),
            CubeInterleave.BSQ,
            CubeSampleType.UINT16,
            ByteOrder.LITTLE_ENDIAN);
    assertThat(EnviCubes.read(hdr).values()).containsExactly(40000, 65535);
  }

  @Test
  void clearErrorsForBadHeadersAndShortData() throws IOException {
    Path hdr =
        EnviCubes.write(
            indexed(2, 2, 2),
            dir.resolve("c"),
            CubeInterleave.BIP,
            CubeSampleType.INT16,
            ByteOrder.LITTLE_ENDIAN);
    String good = Files.readString(hdr);
    Files.writeString(hdr, good.replace("interleave = bip", "interleave = bxq"));
    assertThatThrownBy(() -> EnviCubes.read(hdr))
        .hasMessageContaining("'interleave' must be bsq, bil or bip");
    Files.writeString(hdr, good.replace("data type = 2", "data type = 6"));
    assertThatThrownBy(() -> EnviCubes.read(hdr))
        .hasMessageContaining("ENVI data type 6 is not supported");
    Files.writeString(hdr, good.replace("bands = 2", "bands = 0"));
    assertThatThrownBy(() -> EnviCubes.read(hdr)).hasMessageContaining("'bands' must be positive");
    Files.writeString(hdr, good.replace("lines = 2", "lines = 3"));
    assertThatThrownBy(() -> EnviCubes.read(hdr))
        .hasMessageContaining("holds 16 bytes")
        .hasMessageContaining("3 lines x 2 samples x 2 bands of INT16");
    Files.writeString(hdr, good.replace("samples = 2\n", ""));
    assertThatThrownBy(() -> EnviCubes.read(hdr)).hasMessageContaining("header lacks 'samples'");
    Files.delete(dir.resolve("c.img"));
    Files.writeString(hdr, good);
    assertThatThrownBy(() -> EnviCubes.read(hdr)).hasMessageContaining("no data file beside it");
  }

  @Test
  void decodeRefusesNonFiniteFloatsAndSizeMismatch() {
    ByteBuffer b =
        ByteBuffer.allocate(8)
            .order(ByteOrder.LITTLE_ENDIAN)
            .putFloat(1f)
            .putFloat(Float.NaN)
            .flip();
    assertThatThrownBy(
            () ->
                SpectralCube.decode(
                    b,
                    1,
                    1,
                    2,
                    CubeInterleave.BIP,
                    CubeSampleType.FLOAT32,
                    ByteOrder.LITTLE_ENDIAN))
        .hasMessageContaining("band 1")
        .hasMessageContaining("not finite");
    assertThatThrownBy(
            () ->
                SpectralCube.decode(
                    ByteBuffer.allocate(6),
                    1,
                    1,
                    2,
                    CubeInterleave.BIP,
                    CubeSampleType.FLOAT32,
                    ByteOrder.LITTLE_ENDIAN))
        .hasMessageContaining("payload holds 6 bytes but");
  }
}
