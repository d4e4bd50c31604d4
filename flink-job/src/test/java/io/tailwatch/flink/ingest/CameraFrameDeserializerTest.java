package io.tailwatch.flink.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import io.tailwatch.detector.sim.ProductLineSimulator;
import io.tailwatch.detector.sim.SimulatedFrame;
import io.tailwatch.flink.testing.TestFrames;
import io.tailwatch.schemas.AvroSerdes;
import io.tailwatch.schemas.CameraFrame;
import io.tailwatch.schemas.DeadLetterReason;
import io.tailwatch.schemas.ImageEncoding;
import io.tailwatch.schemas.PixelFormat;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every kind of bad record becomes a dead letter with its reason, origin and raw bytes; good ones
 * pass.
 */
class CameraFrameDeserializerTest {
  @TempDir Path dir;

  final AvroSerdes<CameraFrame> serdes = AvroSerdes.forType(CameraFrame.class);
  final SimulatedFrame sim = new ProductLineSimulator(1, 64, 0).frame(0);

  Ingested run(byte[] value, FrameLimits limits) {
    CameraFrameDeserializer d = new CameraFrameDeserializer(limits);
    return d.toIngested(new ConsumerRecord<>("frames", 3, 42L, "k".getBytes(), value), 7);
  }

  Ingested run(CameraFrame frame) throws Exception {
    return run(
        serdes.encode(frame),
        new FrameLimits(50_000, 1024, Files.createDirectories(dir.resolve("claims")).toString()));
  }

  void assertDead(Ingested in, DeadLetterReason reason, String messagePart) {
    assertThat(in.isDeadLetter()).as("dead letter expected").isTrue();
    assertThat(in.deadLetter.getReasonCode()).isEqualTo(reason);
    assertThat(in.deadLetter.getReason()).contains(messagePart);
    assertThat(in.deadLetter.getOriginTopic()).isEqualTo("frames");
    assertThat(in.deadLetter.getOriginPartition()).isEqualTo(3);
    assertThat(in.deadLetter.getOriginOffset()).isEqualTo(42L);
    assertThat(in.deadLetter.getRawValue()).isNotNull();
    assertThat(in.deadLetter.getKey()).isEqualTo(ByteBuffer.wrap("k".getBytes()));
  }

  @Test
  void goodFramesPassWithTheirOrigin() throws Exception {
    Ingested in = run(TestFrames.png(sim));
    assertThat(in.isDeadLetter()).isFalse();
    assertThat(in.frame.getFrameId()).isEqualTo("frame-0");
    assertThat(in.offset).isEqualTo(42L);
    assertThat(run(TestFrames.raw("raw", 16, 3)).isDeadLetter()).isFalse();
  }

  @Test
  void undecodableAndUnknownSchemas() throws Exception {
    assertDead(
        run(new byte[] {1, 2, 3}, new FrameLimits(1000, 100, null)),
        DeadLetterReason.UNDECODABLE,
        "not Avro single-object encoded");
    assertDead(
        run(new byte[0], new FrameLimits(1000, 100, null)), DeadLetterReason.UNDECODABLE, "empty");
    byte[] bytes = serdes.encode(TestFrames.png(sim));
    bytes[5] ^= 0x11;
    assertDead(
        run(bytes, new FrameLimits(1000, 100, null)),
        DeadLetterReason.UNKNOWN_SCHEMA,
        "fingerprint");
    byte[] truncated = java.util.Arrays.copyOf(serdes.encode(TestFrames.png(sim)), 30);
    assertDead(
        run(truncated, new FrameLimits(1000, 100, null)), DeadLetterReason.UNDECODABLE, "corrupt");
  }

  @Test
  void fieldsOutsideTheLimits() throws Exception {
    CameraFrame png = TestFrames.png(sim);
    assertDead(
        run(CameraFrame.newBuilder(png).setWidth(0).build()),
        DeadLetterReason.INVALID_FIELD,
        "limits.max-side");
    assertDead(
        run(CameraFrame.newBuilder(png).setChannels(2).build()),
        DeadLetterReason.INVALID_FIELD,
        "channels");
    assertDead(
        run(CameraFrame.newBuilder(png).setPayload(null).build()),
        DeadLetterReason.INVALID_FIELD,
        "neither was");
    assertDead(
        run(CameraFrame.newBuilder(png).setPayloadUri("file:///x").build()),
        DeadLetterReason.INVALID_FIELD,
        "both were");
    assertDead(
        run(CameraFrame.newBuilder(png).setHeight(63).build()),
        DeadLetterReason.DIMENSION_MISMATCH,
        "64x64, the record says width x height = 64x63");
    assertDead(
        run(TestFrames.builder("r", 16, 16).setPayload(ByteBuffer.wrap(new byte[255])).build()),
        DeadLetterReason.DIMENSION_MISMATCH,
        "255 bytes does not match");
    assertDead(
        run(
            TestFrames.builder("r", 16, 16)
                .setPixelFormat(PixelFormat.RGB8)
                .setPayload(ByteBuffer.wrap(new byte[768]))
                .build()),
        DeadLetterReason.DIMENSION_MISMATCH,
        "channels = 1");
    assertDead(
        run(
            TestFrames.builder("big", 1000, 100)
                .setPayload(ByteBuffer.wrap(new byte[100_000]))
                .build()),
        DeadLetterReason.PAYLOAD_TOO_LARGE,
        "limits.max-payload-bytes = 50000");
    assertDead(
        run(
            CameraFrame.newBuilder(png)
                .setEncoding(ImageEncoding.JPEG)
                .setPayload(ByteBuffer.wrap(new byte[] {(byte) 0xff, (byte) 0xd8, 1, 2}))
                .build()),
        DeadLetterReason.UNDECODABLE,
        "payload (JPEG)");
  }

  /**
   * Ids and attributes travel into every score and alert, so their total is bounded: 64 KiB pass,
   * one byte more is a dead letter naming the limit.
   */
  @Test
  void metadataOverTheLimitIsDeadLettered() throws Exception {
    CameraFrame raw = TestFrames.raw("m", 16, 3);
    long used = FramePayloads.metadataBytes(raw);
    String fill = "x".repeat((int) (FramePayloads.MAX_METADATA_BYTES - used - 1));
    CameraFrame atLimit =
        CameraFrame.newBuilder(raw).setAttributes(java.util.Map.of("n", fill)).build();
    assertThat(FramePayloads.metadataBytes(atLimit)).isEqualTo(FramePayloads.MAX_METADATA_BYTES);
    FrameLimits roomy =
        new FrameLimits(1 << 20, 1024, Files.createDirectories(dir.resolve("claims")).toString());
    assertThat(run(serdes.encode(atLimit), roomy).isDeadLetter()).isFalse();
    CameraFrame over =
        CameraFrame.newBuilder(raw).setAttributes(java.util.Map.of("n", fill + "é")).build();
    assertDead(
        run(serdes.encode(over), roomy),
        DeadLetterReason.INVALID_FIELD,
        "65538 bytes, over the 65536-byte limit on frame metadata");
  }

  @Test
  void claimChecksMustBeReadableFilesUnderTheRoot() throws Exception {
    Path claims = Files.createDirectories(dir.resolve("claims"));
    Path good = Files.write(claims.resolve("a.png"), sim.png());
    CameraFrame base =
        CameraFrame.newBuilder(TestFrames.png(sim))
            .setPayload(null)
            .setPayloadSha256(ClaimChecks.sha256Hex(sim.png()))
            .build();
    assertThat(
            run(CameraFrame.newBuilder(base).setPayloadUri(good.toUri().toString()).build())
                .isDeadLetter())
        .isFalse();
    assertDead(
        run(
            CameraFrame.newBuilder(base)
                .setPayloadUri(claims.resolve("gone.png").toUri().toString())
                .build()),
        DeadLetterReason.CLAIM_CHECK_UNREADABLE,
        "cannot be read");
    Path outside = Files.write(dir.resolve("b.png"), sim.png());
    assertDead(
        run(CameraFrame.newBuilder(base).setPayloadUri(outside.toUri().toString()).build()),
        DeadLetterReason.CLAIM_CHECK_UNREADABLE,
        "outside claim-check.root");
    assertDead(
        run(CameraFrame.newBuilder(base).setPayloadUri(claims.toUri() + "../b.png").build()),
        DeadLetterReason.CLAIM_CHECK_UNREADABLE,
        "outside claim-check.root");
    Path link = Files.createSymbolicLink(claims.resolve("link.png"), outside);
    assertDead(
        run(CameraFrame.newBuilder(base).setPayloadUri(link.toUri().toString()).build()),
        DeadLetterReason.CLAIM_CHECK_UNREADABLE,
        "through a link");
    assertDead(
        run(CameraFrame.newBuilder(base).setPayloadUri("http://example.com/a.png").build()),
        DeadLetterReason.CLAIM_CHECK_UNREADABLE,
        "scheme must be file:");
    assertDead(
        run(
            serdes.encode(
                CameraFrame.newBuilder(base).setPayloadUri(good.toUri().toString()).build()),
            new FrameLimits(50_000, 1024, null)),
        DeadLetterReason.CLAIM_CHECK_UNREADABLE,
        "claim checks are off");
    assertDead(
        run(
            CameraFrame.newBuilder(base)
                .setPayloadUri(good.toUri().toString())
                .setPayloadSha256(null)
                .build()),
        DeadLetterReason.INVALID_FIELD,
        "payloadSha256 must be set");
  }
}
