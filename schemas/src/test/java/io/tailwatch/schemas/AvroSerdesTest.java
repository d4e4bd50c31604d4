package io.tailwatch.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityType;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.BinaryMessageEncoder;
import org.junit.jupiter.api.Test;

class AvroSerdesTest {

  static CameraFrame frame() {
    return CameraFrame.newBuilder()
        .setFrameId("f-1")
        .setLineId("line-a")
        .setSourceId("cam-1")
        .setProductHint("variant-3")
        .setCaptureTime(Instant.ofEpochMilli(1_700_000_000_123L))
        .setWidth(4)
        .setHeight(2)
        .setChannels(1)
        .setPixelFormat(PixelFormat.GRAY8)
        .setEncoding(ImageEncoding.RAW)
        .setPayload(ByteBuffer.wrap(new byte[] {0, 1, 2, 3, 4, 5, 6, 7}))
        .setAttributes(Map.of("shift", "night"))
        .build();
  }

  @Test
  void cameraFrameRoundTripsWithSingleObjectHeader() throws Exception {
    AvroSerdes<CameraFrame> serdes = AvroSerdes.forType(CameraFrame.class);
    byte[] bytes = serdes.encode(frame());

    assertThat(bytes[0]).isEqualTo((byte) 0xC3);
    assertThat(bytes[1]).isEqualTo((byte) 0x01);
    long fingerprint = ByteBuffer.wrap(bytes, 2, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    assertThat(fingerprint)
        .isEqualTo(SchemaNormalization.parsingFingerprint64(CameraFrame.getClassSchema()));
    assertThat(serdes.decode(bytes)).isEqualTo(frame());
  }

  @Test
  void everyRecordTypeRoundTrips() throws Exception {
    Instant t = Instant.ofEpochMilli(1_700_000_000_000L);
    HyperspectralCube cube =
        HyperspectralCube.newBuilder()
            .setCubeId("c")
            .setLineId("l")
            .setSourceId("s")
            .setCaptureTime(t)
            .setLines(2)
            .setSamples(3)
            .setBands(4)
            .setInterleave(Interleave.BIL)
            .setDataType(CubeDataType.INT16)
            .setByteOrder(io.tailwatch.schemas.ByteOrder.BIG_ENDIAN)
            .setWavelengths(List.of(400f, 500f, 600f, 700f))
            .setPayloadUri("file:///tmp/cube.raw")
            .build();
    Alert alert =
        Alert.newBuilder()
            .setAlertId("a")
            .setFrameId("f")
            .setLineId("l")
            .setSourceId("s")
            .setModality(Modality.CAMERA)
            .setCaptureTime(t)
            .setDetectTime(t.plusMillis(40))
            .setScore(3.5)
            .setThreshold(2.0)
            .setCalibratedScore(0.999)
            .setModelVersion("mbv2-int8@83530ad8")
            .setBankVersion("b-7")
            .setHeatmapPng(ByteBuffer.wrap(new byte[] {1, 2}))
            .setRegions(List.of(new Region(1, 2, 3, 4, 9, 3.5f)))
            .setLatencyMs(40)
            .build();
    ScoreStatistics stats =
        ScoreStatistics.newBuilder()
            .setLineId("l")
            .setModality(Modality.CAMERA)
            .setSnapshotTime(t)
            .setCount(10)
            .setEffectiveCount(9.5)
            .setMedian(1)
            .setMad(0.2)
            .setP90(1.4)
            .setP99(2)
            .setSkewness(0.8)
            .setWeightMin(0.1)
            .setWeightMax(3)
            .setThreshold(2.1)
            .setAlertRate(0.01)
            .setBankVersion("b-7")
            .build();
    BankUpdate update =
        BankUpdate.newBuilder()
            .setBankVersion("b-8")
            .setModelVersion("m")
            .setModality(Modality.CAMERA)
            .setBankUri("file:///b.twb")
            .setSha256("00")
            .setBackboneId("mbv2")
            .setDimension(128)
            .setCount(1000)
            .setCreatedAt(t)
            .setReason("scheduled-update")
            .build();
    DeadLetter dead =
        DeadLetter.newBuilder()
            .setOriginTopic("frames")
            .setOriginPartition(0)
            .setOriginOffset(42)
            .setReasonCode(DeadLetterReason.DIMENSION_MISMATCH)
            .setReason("payload has 7 bytes, width*height*channels=8")
            .setFailedAt(t)
            .setRawValue(ByteBuffer.wrap(new byte[] {9}))
            .build();

    assertThat(
            AvroSerdes.forType(HyperspectralCube.class)
                .decode(AvroSerdes.forType(HyperspectralCube.class).encode(cube)))
        .isEqualTo(cube);
    assertThat(
            AvroSerdes.forType(Alert.class).decode(AvroSerdes.forType(Alert.class).encode(alert)))
        .isEqualTo(alert);
    assertThat(
            AvroSerdes.forType(ScoreStatistics.class)
                .decode(AvroSerdes.forType(ScoreStatistics.class).encode(stats)))
        .isEqualTo(stats);
    assertThat(
            AvroSerdes.forType(BankUpdate.class)
                .decode(AvroSerdes.forType(BankUpdate.class).encode(update)))
        .isEqualTo(update);
    assertThat(
            AvroSerdes.forType(DeadLetter.class)
                .decode(AvroSerdes.forType(DeadLetter.class).encode(dead)))
        .isEqualTo(dead);
  }

  @Test
  void badBytesGiveAReasonNotAnException() {
    AvroSerdes<CameraFrame> serdes = AvroSerdes.forType(CameraFrame.class);
    byte[] good = serdes.encode(frame());

    assertThatThrownBy(() -> serdes.decode(new byte[0]))
        .isInstanceOfSatisfying(
            AvroDecodeException.class,
            e -> assertThat(e.kind()).isEqualTo(AvroDecodeException.Kind.UNDECODABLE));
    assertThatThrownBy(() -> serdes.decode(new byte[] {1, 2, 3}))
        .isInstanceOfSatisfying(
            AvroDecodeException.class,
            e -> assertThat(e.kind()).isEqualTo(AvroDecodeException.Kind.UNDECODABLE));

    byte[] otherFingerprint = good.clone();
    otherFingerprint[5] ^= 0x55;
    assertThatThrownBy(() -> serdes.decode(otherFingerprint))
        .isInstanceOfSatisfying(
            AvroDecodeException.class,
            e -> assertThat(e.kind()).isEqualTo(AvroDecodeException.Kind.UNKNOWN_SCHEMA));

    byte[] truncated = java.util.Arrays.copyOf(good, good.length - 5);
    assertThatThrownBy(() -> serdes.decode(truncated))
        .isInstanceOfSatisfying(
            AvroDecodeException.class,
            e -> assertThat(e.kind()).isEqualTo(AvroDecodeException.Kind.UNDECODABLE));
  }

  /** v2 of the frame schema: one added optional field, as a producer a release ahead would send. */
  static Schema frameWithExposure() {
    String json =
        CameraFrame.getClassSchema()
            .toString()
            .replace(
                "{\"name\":\"attributes\"",
                "{\"name\":\"exposureUs\",\"type\":[\"null\",\"int\"],\"default\":null},{\"name\":\"attributes\"");
    Schema evolved = new Schema.Parser().parse(json);
    assertThat(evolved.getField("exposureUs")).isNotNull();
    return evolved;
  }

  @Test
  void addedOptionalFieldIsCompatibleBothWays() throws Exception {
    Schema v1 = CameraFrame.getClassSchema();
    Schema v2 = frameWithExposure();
    assertThat(SchemaCompatibility.checkReaderWriterCompatibility(v2, v1).getType())
        .isEqualTo(SchemaCompatibilityType.COMPATIBLE);
    assertThat(SchemaCompatibility.checkReaderWriterCompatibility(v1, v2).getType())
        .isEqualTo(SchemaCompatibilityType.COMPATIBLE);

    // new writer -> our (old) reader, once the new writer schema is known to the decoder
    GenericRecord newRecord = new GenericData.Record(v2);
    CameraFrame f = frame();
    for (Schema.Field field : v1.getFields()) {
      newRecord.put(field.name(), GenericData.get().deepCopy(field.schema(), toGeneric(f, field)));
    }
    newRecord.put("exposureUs", 800);
    byte[] newBytes =
        new BinaryMessageEncoder<GenericRecord>(GenericData.get(), v2).encode(newRecord).array();
    AvroSerdes<CameraFrame> serdes = AvroSerdes.forType(CameraFrame.class);
    assertThatThrownBy(() -> serdes.decode(newBytes)).isInstanceOf(AvroDecodeException.class);
    serdes.registerWriterSchema(v2);
    assertThat(serdes.decode(newBytes)).isEqualTo(f);

    // old writer -> new reader: the added field takes its default
    BinaryMessageDecoder<GenericRecord> newReader =
        new BinaryMessageDecoder<>(GenericData.get(), v2);
    newReader.addSchema(v1);
    GenericRecord read = newReader.decode(serdes.encode(f));
    assertThat(read.get("exposureUs")).isNull();
    assertThat(read.get("frameId").toString()).isEqualTo("f-1");
  }

  private static Object toGeneric(CameraFrame f, Schema.Field field) {
    Object value = f.get(field.pos());
    if (value instanceof Instant instant) {
      return instant.toEpochMilli();
    }
    if (value instanceof Enum<?> e) {
      return new GenericData.EnumSymbol(field.schema(), e.name());
    }
    return value;
  }

  /** Every record with a schema history builds its serdes (the old schemas parse). */
  @Test
  void everyHistoryParses() {
    for (Class<? extends org.apache.avro.specific.SpecificRecord> type :
        java.util.List.of(
            ScoreStatistics.class,
            DeadLetter.class,
            Alert.class,
            CameraFrame.class,
            HyperspectralCube.class)) {
      Schema current = org.apache.avro.specific.SpecificData.get().getSchema(type);
      assertThat(SchemaHistory.previous(current)).as(type.getSimpleName()).isNotEmpty();
      for (Schema old : SchemaHistory.previous(current)) {
        assertThat(SchemaCompatibility.checkReaderWriterCompatibility(current, old).getType())
            .as(type.getSimpleName())
            .isEqualTo(SchemaCompatibilityType.COMPATIBLE);
      }
      assertThat(AvroSerdes.forType(type).type()).isEqualTo(type);
    }
  }

  /**
   * CameraFrame gained payloadSha256: a frame from a producer one release behind (the schema in
   * history/CameraFrame-1.avsc) still decodes, without a digest.
   */
  @Test
  void framesWithoutTheDigestFieldStillDecode() throws Exception {
    Schema v1 = SchemaHistory.previous(CameraFrame.getClassSchema()).get(0);
    assertThat(v1.getField("payloadSha256")).isNull();
    CameraFrame f = frame();
    GenericRecord old = new GenericData.Record(v1);
    for (Schema.Field field : v1.getFields()) {
      old.put(
          field.name(),
          GenericData.get()
              .deepCopy(
                  field.schema(),
                  toGeneric(f, CameraFrame.getClassSchema().getField(field.name()))));
    }
    byte[] bytes =
        new BinaryMessageEncoder<GenericRecord>(GenericData.get(), v1).encode(old).array();
    CameraFrame decoded = AvroSerdes.forType(CameraFrame.class).decode(bytes);
    assertThat(decoded).isEqualTo(f);
    assertThat(decoded.getPayloadSha256()).isNull();
  }

  /**
   * ScoreStatistics gained its drift fields: a record from a job one release behind (the schema
   * kept in history/ScoreStatistics-1.avsc) still decodes, the new fields at their defaults.
   */
  @Test
  void recordsOfTheSchemaOneReleaseBehindStillDecode() throws Exception {
    java.util.List<Schema> history = SchemaHistory.previous(ScoreStatistics.getClassSchema());
    assertThat(history).hasSize(1);
    Schema v1 = history.get(0);
    assertThat(v1.getField("driftActive")).isNull();
    assertThat(
            SchemaCompatibility.checkReaderWriterCompatibility(ScoreStatistics.getClassSchema(), v1)
                .getType())
        .isEqualTo(SchemaCompatibilityType.COMPATIBLE);
    GenericRecord old = new GenericData.Record(v1);
    old.put("lineId", "line-1");
    old.put(
        "modality",
        new GenericData.EnumSymbol(v1.getField("modality").schema(), Modality.CAMERA.name()));
    old.put("sourceId", null);
    old.put("snapshotTime", 1_000L);
    old.put("count", 5L);
    for (String f :
        new String[] {
          "effectiveCount",
          "median",
          "mad",
          "p90",
          "p99",
          "skewness",
          "weightMin",
          "weightMax",
          "threshold",
          "alertRate"
        }) {
      old.put(f, 0.5);
    }
    old.put("bankVersion", "bank-1");
    byte[] bytes =
        new BinaryMessageEncoder<GenericRecord>(GenericData.get(), v1).encode(old).array();
    ScoreStatistics read = AvroSerdes.forType(ScoreStatistics.class).decode(bytes);
    assertThat(read.getCount()).isEqualTo(5);
    assertThat(read.getThreshold()).isEqualTo(0.5);
    assertThat(read.getDriftActive()).isFalse();
    assertThat(read.getDriftSince()).isEqualTo(-1);
    assertThat(read.getDriftMedianScore()).isNull();
  }
}
