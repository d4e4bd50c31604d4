package io.tailwatch.flink.ingest;

import io.tailwatch.detector.image.FloatImage;
import io.tailwatch.detector.image.ImageDecodeException;
import io.tailwatch.detector.image.ImageDecoder;
import io.tailwatch.detector.image.RawPixelFormat;
import io.tailwatch.schemas.CameraFrame;
import io.tailwatch.schemas.DeadLetterReason;
import io.tailwatch.schemas.ImageEncoding;
import java.nio.ByteBuffer;

/**
 * Checks a frame's fields against the limits and turns its payload (inline or claim check) into
 * pixels. Every refusal is a {@link FrameRejectedException} whose message names the field and the
 * limit.
 */
public final class FramePayloads {
  private final FrameLimits limits;
  private final ImageDecoder decoder;
  private final ClaimChecks claimChecks;

  public FramePayloads(FrameLimits limits) {
    this.limits = limits;
    this.claimChecks = new ClaimChecks(limits.claimCheckRoot(), limits.requireSha256());
    this.decoder =
        new ImageDecoder(Math.min(limits.maxPixels(), (long) limits.maxSide() * limits.maxSide()));
  }

  /**
   * The cheap checks done at ingest: fields, sizes, header dimensions, claim-check reachability.
   */
  /**
   * Most bytes (UTF-8) of a frame's ids, product hint and attributes together: every score and
   * alert carries them, so they are bounded like the payload, by construction.
   */
  public static final int MAX_METADATA_BYTES = 64 * 1024;

  static long metadataBytes(CameraFrame frame) {
    long n = utf8(frame.getFrameId()) + utf8(frame.getLineId()) + utf8(frame.getSourceId());
    n += utf8(frame.getProductHint());
    if (frame.getAttributes() != null) {
      for (var e : frame.getAttributes().entrySet()) {
        n += utf8(e.getKey()) + utf8(e.getValue());
      }
    }
    return n;
  }

  static long utf8(CharSequence s) {
    return s == null ? 0 : s.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
  }

  public void validate(CameraFrame frame) throws FrameRejectedException {
    int w = frame.getWidth();
    int h = frame.getHeight();
    if (w <= 0 || h <= 0 || w > limits.maxSide() || h > limits.maxSide()) {
      throw new FrameRejectedException(
          DeadLetterReason.INVALID_FIELD,
          "width/height "
              + w
              + "x"
              + h
              + " outside [1, "
              + limits.maxSide()
              + "] (limits.max-side)");
    }
    if ((long) w * h > limits.maxPixels()) {
      throw new FrameRejectedException(
          DeadLetterReason.INVALID_FIELD,
          "width x height = "
              + w
              + "x"
              + h
              + " = "
              + (long) w * h
              + " pixels exceeds limits.max-pixels = "
              + limits.maxPixels());
    }
    if (frame.getChannels() != 1 && frame.getChannels() != 3) {
      throw new FrameRejectedException(
          DeadLetterReason.INVALID_FIELD, "channels must be 1 or 3, was " + frame.getChannels());
    }
    if (frame.getFrameId().isBlank() || frame.getLineId().isBlank()) {
      throw new FrameRejectedException(
          DeadLetterReason.INVALID_FIELD, "frameId and lineId must not be blank");
    }
    long metadata = metadataBytes(frame);
    if (metadata > MAX_METADATA_BYTES) {
      throw new FrameRejectedException(
          DeadLetterReason.INVALID_FIELD,
          "frameId, lineId, sourceId, productHint and attributes take "
              + metadata
              + " bytes, over the "
              + MAX_METADATA_BYTES
              + "-byte limit on frame metadata (they are copied into the frame's score and alert"
              + " records, which must fit a Kafka request)");
    }
    boolean inline = frame.getPayload() != null;
    boolean claim = frame.getPayloadUri() != null;
    if (inline == claim) {
      throw new FrameRejectedException(
          DeadLetterReason.INVALID_FIELD,
          "exactly one of payload and payloadUri must be set, "
              + (inline ? "both were" : "neither was"));
    }
    if (inline) {
      checkPayload(frame, frame.getPayload().remaining());
      if (frame.getEncoding() != ImageEncoding.RAW) {
        checkHeader(frame, bytes(frame.getPayload()));
      }
    } else {
      long size =
          claimChecks.size(claimChecks.resolve(frame.getPayloadUri(), frame.getPayloadSha256()));
      checkPayload(frame, size);
    }
  }

  /**
   * Loads (claim check) and decodes the pixels; re-checks everything a file could have changed
   * since ingest.
   */
  public FloatImage decode(CameraFrame frame) throws FrameRejectedException {
    byte[] bytes;
    if (frame.getPayload() != null) {
      bytes = bytes(frame.getPayload());
    } else {
      ClaimChecks.Reference ref =
          claimChecks.resolve(frame.getPayloadUri(), frame.getPayloadSha256());
      checkPayload(frame, claimChecks.size(ref)); // before reading: it may have grown since ingest
      bytes = claimChecks.read(ref, limits.maxPayloadBytes());
      checkPayload(frame, bytes.length); // and after: it may have changed while we read
    }
    try {
      FloatImage image;
      if (frame.getEncoding() == ImageEncoding.RAW) {
        image = decoder.decodeRaw(bytes, frame.getWidth(), frame.getHeight(), rawFormat(frame));
      } else {
        checkHeader(frame, bytes);
        image = decoder.decodeCompressed(bytes);
      }
      return image;
    } catch (ImageDecodeException e) {
      throw new FrameRejectedException(
          DeadLetterReason.UNDECODABLE, "payload: " + e.getMessage(), e);
    }
  }

  private void checkPayload(CameraFrame frame, long size) throws FrameRejectedException {
    if (size > limits.maxPayloadBytes()) {
      throw new FrameRejectedException(
          DeadLetterReason.PAYLOAD_TOO_LARGE,
          "payload of "
              + size
              + " bytes exceeds limits.max-payload-bytes = "
              + limits.maxPayloadBytes());
    }
    if (frame.getEncoding() == ImageEncoding.RAW) {
      RawPixelFormat format = rawFormat(frame);
      if (format.channels() != frame.getChannels()) {
        throw new FrameRejectedException(
            DeadLetterReason.DIMENSION_MISMATCH,
            "pixelFormat "
                + format
                + " has "
                + format.channels()
                + " channel(s), the record says channels = "
                + frame.getChannels());
      }
      long expected = format.bytesFor(frame.getWidth(), frame.getHeight());
      if (size != expected) {
        throw new FrameRejectedException(
            DeadLetterReason.DIMENSION_MISMATCH,
            "RAW "
                + format
                + " payload of "
                + size
                + " bytes does not match width x height = "
                + frame.getWidth()
                + "x"
                + frame.getHeight()
                + " ("
                + expected
                + " bytes)");
      }
    }
  }

  private void checkHeader(CameraFrame frame, byte[] bytes) throws FrameRejectedException {
    int[] wh;
    try {
      wh = decoder.dimensions(bytes);
    } catch (ImageDecodeException e) {
      throw new FrameRejectedException(
          DeadLetterReason.UNDECODABLE,
          "payload (" + frame.getEncoding() + "): " + e.getMessage(),
          e);
    }
    if (wh[0] != frame.getWidth() || wh[1] != frame.getHeight()) {
      throw new FrameRejectedException(
          DeadLetterReason.DIMENSION_MISMATCH,
          frame.getEncoding()
              + " payload is "
              + wh[0]
              + "x"
              + wh[1]
              + ", the record says width x height = "
              + frame.getWidth()
              + "x"
              + frame.getHeight());
    }
  }

  private static RawPixelFormat rawFormat(CameraFrame frame) {
    return RawPixelFormat.valueOf(frame.getPixelFormat().name());
  }

  static byte[] bytes(ByteBuffer buffer) {
    ByteBuffer b = buffer.duplicate();
    byte[] out = new byte[b.remaining()];
    b.get(out);
    return out;
  }
}
