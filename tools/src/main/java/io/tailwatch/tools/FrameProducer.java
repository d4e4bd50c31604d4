package io.tailwatch.tools;

import io.tailwatch.detector.image.FloatImage;
import io.tailwatch.detector.image.ImageDecoder;
import io.tailwatch.detector.sim.SimulatedFrame;
import io.tailwatch.flink.ingest.ClaimCheckWriter;
import io.tailwatch.schemas.AvroSerdes;
import io.tailwatch.schemas.CameraFrame;
import io.tailwatch.schemas.ImageEncoding;
import io.tailwatch.schemas.PixelFormat;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/** Writes camera frames (Avro single-object encoded, keyed by line/source) to a Kafka topic. */
final class FrameProducer implements AutoCloseable {
  static final String ATTR_RUN = "run";
  static final String ATTR_VARIANT = "sim.variant";
  static final String ATTR_DEFECT = "sim.defect";

  /** Inline payloads above this go by claim check unless told otherwise (--inline-limit). */
  static final int DEFAULT_INLINE_LIMIT = 512 * 1024;

  private final KafkaProducer<byte[], byte[]> producer;
  private final String topic;
  private final AvroSerdes<CameraFrame> serdes = AvroSerdes.forType(CameraFrame.class);
  private final ClaimCheckWriter claimChecks;
  private final int inlineLimit;
  private long claimChecked;

  /** Every frame inline, whatever its size (records up to 16 MiB). */
  FrameProducer(String bootstrapServers, String topic) {
    this(bootstrapServers, topic, null, Integer.MAX_VALUE);
  }

  /**
   * Frames whose payload is above {@code inlineLimit} bytes are written through {@code claimChecks}
   * and sent by reference (with their SHA-256); without a writer such a frame is an error that says
   * what to give.
   */
  FrameProducer(
      String bootstrapServers, String topic, ClaimCheckWriter claimChecks, int inlineLimit) {
    if (inlineLimit < 1) {
      throw new IllegalArgumentException("--inline-limit must be positive, was " + inlineLimit);
    }
    this.producer =
        new KafkaProducer<>(
            producerProperties(
                bootstrapServers,
                inlineLimit == Integer.MAX_VALUE
                    ? 16 * 1024 * 1024
                    : Math.max(1 << 20, inlineLimit + (256 << 10))));
    this.topic = topic;
    this.claimChecks = claimChecks;
    this.inlineLimit = inlineLimit;
  }

  /** Frames sent by claim check so far. */
  long claimChecked() {
    return claimChecked;
  }

  /**
   * Byte-array producer settings of the simulators: idempotent, acks=all, records up to {@code
   * maxRequest}.
   */
  static Properties producerProperties(String bootstrapServers, int maxRequest) {
    Properties p = new Properties();
    p.put("bootstrap.servers", bootstrapServers);
    p.put("key.serializer", ByteArraySerializer.class.getName());
    p.put("value.serializer", ByteArraySerializer.class.getName());
    p.put("acks", "all");
    p.put("enable.idempotence", "true");
    p.put("linger.ms", "5");
    p.put("max.request.size", Integer.toString(maxRequest));
    return p;
  }

  Future<RecordMetadata> send(CameraFrame frame) throws IOException {
    if (frame.getPayload() != null && frame.getPayload().remaining() > inlineLimit) {
      if (claimChecks == null) {
        throw new IllegalArgumentException(
            "frame "
                + frame.getFrameId()
                + " is "
                + frame.getPayload().remaining()
                + " bytes, above --inline-limit "
                + inlineLimit
                + ": give --claim-check-dir (the job's claim-check.root) to send it by claim check");
      }
      ClaimCheckWriter.Written written =
          claimChecks.write(
              frame.getFrameId().toString().replaceAll("[^A-Za-z0-9_-]", "_")
                  + "."
                  + extension(frame),
              frame.getPayload());
      frame =
          CameraFrame.newBuilder(frame)
              .setPayload(null)
              .setPayloadUri(written.uri())
              .setPayloadSha256(written.sha256())
              .build();
      claimChecked++;
    }
    byte[] key = (frame.getLineId() + "/" + frame.getSourceId()).getBytes(StandardCharsets.UTF_8);
    return producer.send(new ProducerRecord<>(topic, key, serdes.encode(frame)));
  }

  /** Bytes that are not a frame, to exercise the dead-letter path. */
  Future<RecordMetadata> sendCorrupt(long index) {
    byte[] junk =
        ("corrupt record " + index + " from the simulator").getBytes(StandardCharsets.UTF_8);
    return producer.send(
        new ProducerRecord<>(topic, ("corrupt-" + index).getBytes(StandardCharsets.UTF_8), junk));
  }

  private static String extension(CameraFrame frame) {
    return switch (frame.getEncoding()) {
      case PNG -> "png";
      case JPEG -> "jpg";
      default -> "raw";
    };
  }

  void flush() {
    producer.flush();
  }

  @Override
  public void close() {
    producer.close();
  }

  /** A simulated frame as a PNG camera frame; its ground truth goes into the attributes. */
  static CameraFrame simulated(SimulatedFrame f, String runId, String lineId, Instant captureTime) {
    Map<String, String> attributes = new HashMap<>();
    attributes.put(ATTR_RUN, runId);
    attributes.put(ATTR_VARIANT, f.variant().name());
    attributes.put(ATTR_DEFECT, f.defect() == null ? "none" : f.defect().name());
    return CameraFrame.newBuilder()
        .setFrameId(runId + "-" + f.index())
        .setLineId(lineId)
        .setSourceId("cam-1")
        .setProductHint(f.variant().name().toLowerCase(Locale.ROOT))
        .setCaptureTime(captureTime)
        .setWidth(f.width())
        .setHeight(f.height())
        .setChannels(1)
        .setPixelFormat(PixelFormat.GRAY8)
        .setEncoding(ImageEncoding.PNG)
        .setPayload(ByteBuffer.wrap(f.png()))
        .setAttributes(attributes)
        .build();
  }

  /**
   * An image file (PNG/JPEG) as a camera frame; the file's folder name goes into {@code
   * replay.folder}.
   */
  static CameraFrame replayed(
      Path file, Path root, String runId, String lineId, long index, ImageDecoder decoder)
      throws IOException, io.tailwatch.detector.image.ImageDecodeException {
    byte[] bytes = Files.readAllBytes(file);
    FloatImage image = decoder.decodeCompressed(bytes);
    String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
    Map<String, String> attributes = new HashMap<>();
    attributes.put(ATTR_RUN, runId);
    attributes.put("replay.file", root.relativize(file).toString());
    attributes.put(
        "replay.folder", file.getParent() == null ? "" : file.getParent().getFileName().toString());
    return CameraFrame.newBuilder()
        .setFrameId(runId + "-" + index)
        .setLineId(lineId)
        .setSourceId("replay")
        .setCaptureTime(Instant.now())
        .setWidth(image.width())
        .setHeight(image.height())
        .setChannels(image.channels())
        .setPixelFormat(image.channels() == 1 ? PixelFormat.GRAY8 : PixelFormat.RGB8)
        .setEncoding(name.endsWith(".png") ? ImageEncoding.PNG : ImageEncoding.JPEG)
        .setPayload(ByteBuffer.wrap(bytes))
        .setAttributes(attributes)
        .build();
  }
}
