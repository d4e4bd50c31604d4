package io.tailwatch.flink.ingest;

import io.tailwatch.schemas.AvroDecodeException;
import io.tailwatch.schemas.AvroSerdes;
import io.tailwatch.schemas.DeadLetterReason;
import io.tailwatch.schemas.HyperspectralCube;
import org.apache.flink.api.common.serialization.DeserializationSchema;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Kafka record -> {@link Ingested} holding a cube. Like the frame deserializer it never throws for bad bytes: an
 * undecodable record, a field outside the limits or an unreachable claim check becomes a dead letter.
 */
public final class HyperspectralCubeDeserializer implements KafkaRecordDeserializationSchema<Ingested> {
  private static final long serialVersionUID = 1L;

  private final CubeLimits limits;
  private transient AvroSerdes<HyperspectralCube> serdes;
  private transient CubePayloads payloads;

  public HyperspectralCubeDeserializer(CubeLimits limits) {
    this.limits = limits;
  }

  @Override
  public void open(DeserializationSchema.InitializationContext context) {
    init();
  }

  private void init() {
    if (serdes == null) {
      serdes = AvroSerdes.forType(HyperspectralCube.class);
      payloads = new CubePayloads(limits);
    }
  }

  @Override
  public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<Ingested> out) {
    out.collect(toIngested(record, System.currentTimeMillis()));
  }

  Ingested toIngested(ConsumerRecord<byte[], byte[]> record, long now) {
    init();
    try {
      HyperspectralCube cube = serdes.decode(record.value());
      payloads.validate(cube);
      return Ingested.cube(cube, record.topic(), record.partition(), record.offset(), record.key(), now);
    } catch (AvroDecodeException e) {
      return deadLetter(record, e.kind().deadLetterReason(), e.getMessage(), now);
    } catch (FrameRejectedException e) {
      return deadLetter(record, e.reason(), e.getMessage(), now);
    } catch (RuntimeException e) {
      return deadLetter(record, DeadLetterReason.OTHER, "unexpected " + e, now);
    }
  }

  private static Ingested deadLetter(ConsumerRecord<byte[], byte[]> record, DeadLetterReason reason, String message,
      long now) {
    return Ingested.deadLetter(DeadLetters.of(record.topic(), record.partition(), record.offset(), record.key(),
        reason, message, record.value(), now));
  }

  @Override
  public TypeInformation<Ingested> getProducedType() {
    return TypeInformation.of(Ingested.class);
  }
}
