package io.tailwatch.flink.testing;

import io.tailwatch.detector.sim.SimulatedFrame;
import io.tailwatch.flink.ingest.Ingested;
import io.tailwatch.schemas.CameraFrame;
import io.tailwatch.schemas.ImageEncoding;
import io.tailwatch.schemas.PixelFormat;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

/** Camera frame records for tests. */
public final class TestFrames {
  private TestFrames() {}

  /** A RAW GRAY8 frame whose pixels all equal {@code value}. */
  public static CameraFrame raw(String id, int size, int value) {
    byte[] px = new byte[size * size];
    java.util.Arrays.fill(px, (byte) value);
    return builder(id, size, size)
        .setEncoding(ImageEncoding.RAW)
        .setPixelFormat(PixelFormat.GRAY8)
        .setPayload(ByteBuffer.wrap(px))
        .build();
  }

  /** A simulated frame as PNG, its ground truth in the attributes (as the simulator sends it). */
  public static CameraFrame png(SimulatedFrame f) {
    Map<String, String> attributes = new HashMap<>();
    attributes.put("sim.variant", f.variant().name());
    attributes.put("sim.defect", f.defect() == null ? "none" : f.defect().name());
    return builder("frame-" + f.index(), f.width(), f.height())
        .setEncoding(ImageEncoding.PNG)
        .setPixelFormat(PixelFormat.GRAY8)
        .setPayload(ByteBuffer.wrap(f.png()))
        .setAttributes(attributes)
        .build();
  }

  public static CameraFrame.Builder builder(String id, int width, int height) {
    return CameraFrame.newBuilder()
        .setFrameId(id)
        .setLineId("line-1")
        .setSourceId("cam-1")
        .setCaptureTime(Instant.now())
        .setWidth(width)
        .setHeight(height)
        .setChannels(1)
        .setPixelFormat(PixelFormat.GRAY8)
        .setEncoding(ImageEncoding.RAW)
        .setAttributes(new HashMap<>());
  }

  public static Ingested ingested(CameraFrame frame, long offset) {
    return Ingested.frame(frame, "frames", 0, offset, "k".getBytes(), 0);
  }
}
