package io.tailwatch.flink.cube;

import io.tailwatch.detector.hyperspectral.CubeInterleave;
import io.tailwatch.detector.hyperspectral.CubeSampleType;
import io.tailwatch.detector.hyperspectral.SpectralCube;
import io.tailwatch.schemas.AvroTrust;
import io.tailwatch.schemas.ByteOrder;
import io.tailwatch.schemas.CubeDataType;
import io.tailwatch.schemas.HyperspectralCube;
import io.tailwatch.schemas.Interleave;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Map;

/** Builds {@link HyperspectralCube} records from cubes (simulator, tests, tools). */
public final class CubeRecords {
  private CubeRecords() {}

  /** The record with an inline payload in the given layout. */
  public static HyperspectralCube.Builder inline(
      String cubeId,
      String lineId,
      SpectralCube cube,
      Interleave interleave,
      CubeDataType type,
      ByteOrder order,
      Instant captureTime,
      Map<String, String> attributes) {
    AvroTrust.install(); // the builder deep-copies defaults through Avro's class-trust check
    byte[] payload =
        cube.encode(
            CubeInterleave.valueOf(interleave.name()),
            CubeSampleType.valueOf(type.name()),
            order == ByteOrder.BIG_ENDIAN
                ? java.nio.ByteOrder.BIG_ENDIAN
                : java.nio.ByteOrder.LITTLE_ENDIAN);
    return HyperspectralCube.newBuilder()
        .setCubeId(cubeId)
        .setLineId(lineId)
        .setSourceId(lineId + "-hsi")
        .setCaptureTime(captureTime)
        .setLines(cube.lines())
        .setSamples(cube.samples())
        .setBands(cube.bands())
        .setInterleave(interleave)
        .setDataType(type)
        .setByteOrder(order)
        .setPayload(ByteBuffer.wrap(payload))
        .setPayloadUri(null)
        .setAttributes(Map.copyOf(attributes));
  }
}
