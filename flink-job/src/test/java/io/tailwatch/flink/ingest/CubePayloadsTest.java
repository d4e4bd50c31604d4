package io.tailwatch.flink.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tailwatch.detector.hyperspectral.SpectralCube;
import io.tailwatch.flink.cube.CubeRecords;
import io.tailwatch.schemas.ByteOrder;
import io.tailwatch.schemas.CubeDataType;
import io.tailwatch.schemas.DeadLetterReason;
import io.tailwatch.schemas.HyperspectralCube;
import io.tailwatch.schemas.Interleave;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CubePayloadsTest {
  @TempDir Path dir;

  static SpectralCube cube() {
    float[] v = new float[4 * 5 * 3];
    for (int i = 0; i < v.length; i++) {
      v[i] = i * 7 - 100;
    }
    return new SpectralCube(4, 5, 3, v);
  }

  HyperspectralCube.Builder record(Interleave interleave, CubeDataType type, ByteOrder order) {
    return CubeRecords.inline(
        "c1", "line", cube(), interleave, type, order, Instant.EPOCH, Map.of());
  }

  CubePayloads payloads(int maxBytes, int maxPixels, int maxBands) {
    return new CubePayloads(new CubeLimits(maxBytes, maxPixels, maxBands, dir.toString()));
  }

  @Test
  void decodesEveryLayoutToTheSameCube() throws Exception {
    CubePayloads p = payloads(1 << 20, 1000, 100);
    for (Interleave il : Interleave.values()) {
      for (ByteOrder order : ByteOrder.values()) {
        for (CubeDataType type :
            new CubeDataType[] {CubeDataType.INT16, CubeDataType.FLOAT32, CubeDataType.FLOAT64}) {
          assertThat(p.decode(record(il, type, order).build()).values())
              .as("%s %s %s", il, order, type)
              .containsExactly(cube().values());
        }
      }
    }
  }

  @Test
  void metadataOverTheLimitIsRejectedNamingIt() throws Exception {
    CubePayloads p = payloads(1 << 20, 1000, 100);
    HyperspectralCube big =
        record(Interleave.BSQ, CubeDataType.INT16, ByteOrder.BIG_ENDIAN)
            .setAttributes(Map.of("note", "x".repeat(FramePayloads.MAX_METADATA_BYTES)))
            .build();
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> p.validate(big))
        .isInstanceOf(FrameRejectedException.class)
        .hasMessageContaining("cubeId, lineId, sourceId and attributes take")
        .hasMessageContaining("65536-byte limit");
    // just under the limit passes
    p.validate(
        record(Interleave.BSQ, CubeDataType.INT16, ByteOrder.BIG_ENDIAN)
            .setAttributes(Map.of("note", "x".repeat(60_000)))
            .build());
  }

  @Test
  void readsClaimChecksUnderTheRootOnly() throws Exception {
    HyperspectralCube inline =
        record(Interleave.BIL, CubeDataType.INT16, ByteOrder.BIG_ENDIAN).build();
    byte[] bytes = new byte[inline.getPayload().remaining()];
    inline.getPayload().duplicate().get(bytes);
    Path file = Files.write(dir.resolve("c1.raw"), bytes);
    CubePayloads p = payloads(1 << 20, 1000, 100);
    HyperspectralCube claim =
        HyperspectralCube.newBuilder(inline)
            .setPayload(null)
            .setPayloadUri(file.toUri().toString())
            .setPayloadSha256(ClaimChecks.sha256Hex(bytes))
            .build();
    assertThat(p.decode(claim).values()).containsExactly(cube().values());
    assertRejected(
        p,
        HyperspectralCube.newBuilder(claim)
            .setPayloadSha256(ClaimChecks.sha256Hex(new byte[1]))
            .build(),
        DeadLetterReason.CLAIM_CHECK_UNREADABLE,
        "payloadSha256 says");
    String escape = dir.resolve("../elsewhere.raw").toUri().toString();
    assertRejected(
        p,
        HyperspectralCube.newBuilder(claim).setPayloadUri(escape).build(),
        DeadLetterReason.CLAIM_CHECK_UNREADABLE,
        "outside claim-check.root");
    assertRejected(
        p,
        HyperspectralCube.newBuilder(claim).setPayloadUri("https://example.com/c.raw").build(),
        DeadLetterReason.CLAIM_CHECK_UNREADABLE,
        "scheme must be file:");
  }

  @Test
  void everySenderControlledSizeIsCheckedWithTheLimitNamed() {
    HyperspectralCube good =
        record(Interleave.BSQ, CubeDataType.UINT16, ByteOrder.LITTLE_ENDIAN).build();
    assertRejected(
        payloads(1 << 20, 19, 100),
        good,
        DeadLetterReason.INVALID_FIELD,
        "lines x samples = 4x5 exceeds limits.max-cube-pixels = 19");
    assertRejected(
        payloads(1 << 20, 1000, 2),
        good,
        DeadLetterReason.INVALID_FIELD,
        "bands 3 outside [2, 2] (limits.max-bands)");
    assertRejected(
        payloads(100, 1000, 100),
        good,
        DeadLetterReason.PAYLOAD_TOO_LARGE,
        "payload of 120 bytes exceeds limits.max-payload-bytes = 100");
    CubePayloads p = payloads(1 << 20, 1000, 100);
    assertRejected(
        p,
        HyperspectralCube.newBuilder(good).setLines(-4).build(),
        DeadLetterReason.INVALID_FIELD,
        "must be positive");
    assertRejected(
        p,
        HyperspectralCube.newBuilder(good).setSamples(6).build(),
        DeadLetterReason.DIMENSION_MISMATCH,
        "does not match lines x samples x bands = 4x6x3 of UINT16 (144 bytes)");
    assertRejected(
        p,
        HyperspectralCube.newBuilder(good).setDataType(CubeDataType.FLOAT32).build(),
        DeadLetterReason.DIMENSION_MISMATCH,
        "of FLOAT32 (240 bytes)");
    assertRejected(
        p,
        HyperspectralCube.newBuilder(good).setWavelengths(List.of(400f, 500f)).build(),
        DeadLetterReason.DIMENSION_MISMATCH,
        "wavelengths has 2 entries for 3 bands");
    assertRejected(
        p,
        HyperspectralCube.newBuilder(good).setPayloadUri("file:///x").build(),
        DeadLetterReason.INVALID_FIELD,
        "exactly one of payload and payloadUri");
    assertRejected(
        p,
        HyperspectralCube.newBuilder(good).setCubeId(" ").build(),
        DeadLetterReason.INVALID_FIELD,
        "cubeId and lineId must not be blank");
    ByteBuffer inf = ByteBuffer.allocate(4 * 5 * 3 * 4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    inf.putFloat(8, Float.POSITIVE_INFINITY);
    assertRejected(
        p,
        HyperspectralCube.newBuilder(good)
            .setDataType(CubeDataType.FLOAT32)
            .setPayload(inf)
            .build(),
        DeadLetterReason.UNDECODABLE,
        "not finite");
  }

  static void assertRejected(
      CubePayloads p, HyperspectralCube c, DeadLetterReason reason, String text) {
    assertThatThrownBy(() -> p.decode(c))
        .isInstanceOf(FrameRejectedException.class)
        .hasMessageContaining(text)
        .satisfies(e -> assertThat(((FrameRejectedException) e).reason()).isEqualTo(reason));
  }
}
