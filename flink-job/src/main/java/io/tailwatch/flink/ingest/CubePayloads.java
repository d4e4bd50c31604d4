package io.tailwatch.flink.ingest;

import io.tailwatch.detector.hyperspectral.CubeInterleave;
import io.tailwatch.detector.hyperspectral.CubeSampleType;
import io.tailwatch.detector.hyperspectral.SpectralCube;
import io.tailwatch.schemas.DeadLetterReason;
import io.tailwatch.schemas.HyperspectralCube;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Checks a cube's fields against the {@link CubeLimits} and turns its payload (inline or claim
 * check) into a {@link SpectralCube}. Every refusal is a {@link FrameRejectedException} naming the
 * field and the limit.
 */
public final class CubePayloads {
  private final CubeLimits limits;
  private final ClaimChecks claimChecks;

  public CubePayloads(CubeLimits limits) {
    this.limits = limits;
    this.claimChecks = new ClaimChecks(limits.claimCheckRoot(), limits.requireSha256());
  }

  /** The cheap checks done at ingest: ids, dimensions, sizes, claim-check reachability. */
  public void validate(HyperspectralCube cube) throws FrameRejectedException {
    checkFields(cube);
    if (cube.getPayload() != null) {
      checkSize(cube, cube.getPayload().remaining());
    } else {
      checkSize(
          cube,
          claimChecks.size(claimChecks.resolve(cube.getPayloadUri(), cube.getPayloadSha256())));
    }
  }

  /** Ids, dimensions against the limits, wavelengths, exactly one of payload and payloadUri. */
  private void checkFields(HyperspectralCube cube) throws FrameRejectedException {
    if (cube.getCubeId().isBlank() || cube.getLineId().isBlank()) {
      throw new FrameRejectedException(
          DeadLetterReason.INVALID_FIELD, "cubeId and lineId must not be blank");
    }
    int lines = cube.getLines();
    int samples = cube.getSamples();
    int bands = cube.getBands();
    if (lines <= 0 || samples <= 0) {
      throw new FrameRejectedException(
          DeadLetterReason.INVALID_FIELD,
          "lines/samples " + lines + "x" + samples + " must be positive");
    }
    if ((long) lines * samples > limits.maxPixels()) {
      throw new FrameRejectedException(
          DeadLetterReason.INVALID_FIELD,
          "lines x samples = "
              + lines
              + "x"
              + samples
              + " exceeds limits.max-cube-pixels = "
              + limits.maxPixels());
    }
    if (bands < 2 || bands > limits.maxBands()) {
      throw new FrameRejectedException(
          DeadLetterReason.INVALID_FIELD,
          "bands " + bands + " outside [2, " + limits.maxBands() + "] (limits.max-bands)");
    }
    if (!cube.getWavelengths().isEmpty() && cube.getWavelengths().size() != bands) {
      throw new FrameRejectedException(
          DeadLetterReason.DIMENSION_MISMATCH,
          "wavelengths has " + cube.getWavelengths().size() + " entries for " + bands + " bands");
    }
    long metadata =
        FramePayloads.utf8(cube.getCubeId())
            + FramePayloads.utf8(cube.getLineId())
            + FramePayloads.utf8(cube.getSourceId());
    if (cube.getAttributes() != null) {
      for (var e : cube.getAttributes().entrySet()) {
        metadata += FramePayloads.utf8(e.getKey()) + FramePayloads.utf8(e.getValue());
      }
    }
    if (metadata > FramePayloads.MAX_METADATA_BYTES) {
      throw new FrameRejectedException(
          DeadLetterReason.INVALID_FIELD,
          "cubeId, lineId, sourceId and attributes take "
              + metadata
              + " bytes, over the "
              + FramePayloads.MAX_METADATA_BYTES
              + "-byte limit on metadata (they are copied into the cube's score and alert records,"
              + " which must fit a Kafka request)");
    }
    boolean inline = cube.getPayload() != null;
    boolean claim = cube.getPayloadUri() != null;
    if (inline == claim) {
      throw new FrameRejectedException(
          DeadLetterReason.INVALID_FIELD,
          "exactly one of payload and payloadUri must be set, "
              + (inline ? "both were" : "neither was"));
    }
  }

  /**
   * Loads (claim check) and decodes; re-checks the fields and what a file could have changed since
   * ingest.
   */
  public SpectralCube decode(HyperspectralCube cube) throws FrameRejectedException {
    checkFields(cube);
    ByteBuffer raw;
    if (cube.getPayload() != null) {
      raw = cube.getPayload().duplicate();
      checkSize(cube, raw.remaining());
    } else {
      ClaimChecks.Reference ref =
          claimChecks.resolve(cube.getPayloadUri(), cube.getPayloadSha256());
      checkSize(
          cube, claimChecks.size(ref)); // before reading: the file may have grown since ingest
      raw = ByteBuffer.wrap(claimChecks.read(ref, limits.maxPayloadBytes()));
      checkSize(cube, raw.remaining()); // and after: it may have changed while we read
    }
    try {
      return SpectralCube.decode(
          raw,
          cube.getLines(),
          cube.getSamples(),
          cube.getBands(),
          CubeInterleave.valueOf(cube.getInterleave().name()),
          sampleType(cube),
          cube.getByteOrder() == io.tailwatch.schemas.ByteOrder.BIG_ENDIAN
              ? ByteOrder.BIG_ENDIAN
              : ByteOrder.LITTLE_ENDIAN);
    } catch (IllegalArgumentException e) {
      throw new FrameRejectedException(
          DeadLetterReason.UNDECODABLE, "payload: " + e.getMessage(), e);
    }
  }

  private void checkSize(HyperspectralCube cube, long size) throws FrameRejectedException {
    if (size > limits.maxPayloadBytes()) {
      throw new FrameRejectedException(
          DeadLetterReason.PAYLOAD_TOO_LARGE,
          "payload of "
              + size
              + " bytes exceeds limits.max-payload-bytes = "
              + limits.maxPayloadBytes());
    }
    long expected =
        (long) cube.getLines() * cube.getSamples() * cube.getBands() * sampleType(cube).bytes();
    if (size != expected) {
      throw new FrameRejectedException(
          DeadLetterReason.DIMENSION_MISMATCH,
          "payload of "
              + size
              + " bytes does not match lines x samples x bands = "
              + cube.getLines()
              + "x"
              + cube.getSamples()
              + "x"
              + cube.getBands()
              + " of "
              + cube.getDataType()
              + " ("
              + expected
              + " bytes)");
    }
  }

  static CubeSampleType sampleType(HyperspectralCube cube) {
    return switch (cube.getDataType()) {
      case UINT8 -> CubeSampleType.UINT8;
      case INT16 -> CubeSampleType.INT16;
      case UINT16 -> CubeSampleType.UINT16;
      case FLOAT32 -> CubeSampleType.FLOAT32;
      case FLOAT64 -> CubeSampleType.FLOAT64;
    };
  }
}
