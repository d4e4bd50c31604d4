package io.tailwatch.flink.ingest;

import io.tailwatch.schemas.AvroDecodeException;
import io.tailwatch.schemas.AvroSerdes;
import io.tailwatch.schemas.DeadLetterReason;
import org.apache.avro.specific.SpecificRecord;
import org.apache.flink.api.common.serialization.DeserializationSchema;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Kafka record -> {@link Ingested}: Avro decode, then the record type's own checks. Never throws
 * for bad bytes: an undecodable record, an unknown schema fingerprint, a field outside the limits
 * or an unreachable claim check becomes a dead letter that keeps the raw bytes and the origin
 * (topic, partition, offset).
 */
abstract class ValidatingDeserializer<T extends SpecificRecord>
    implements KafkaRecordDeserializationSchema<Ingested> {
  private static final long serialVersionUID = 1L;

  private final Class<T> type;
  private transient AvroSerdes<T> serdes;

  ValidatingDeserializer(Class<T> type) {
    this.type = type;
  }

  /** Builds the (transient) checkers; called once per instance before the first record. */
  abstract void prepare();

  abstract void validate(T value) throws FrameRejectedException;

  abstract Ingested wrap(T value, ConsumerRecord<byte[], byte[]> record, long now);

  @Override
  public void open(DeserializationSchema.InitializationContext context) {
    init();
  }

  private void init() {
    if (serdes == null) {
      serdes = AvroSerdes.forType(type); // also installs the Avro class-trust rule in this JVM
      prepare();
    }
  }

  @Override
  public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<Ingested> out) {
    out.collect(toIngested(record, System.currentTimeMillis()));
  }

  Ingested toIngested(ConsumerRecord<byte[], byte[]> record, long now) {
    init();
    try {
      T value = serdes.decode(record.value());
      validate(value);
      return wrap(value, record, now);
    } catch (AvroDecodeException e) {
      return deadLetter(record, e.kind().deadLetterReason(), e.getMessage(), now);
    } catch (FrameRejectedException e) {
      return deadLetter(record, e.reason(), e.getMessage(), now);
    } catch (RuntimeException e) {
      // a validator bug must not kill the job or lose the record: keep it, with the cause
      return deadLetter(record, DeadLetterReason.OTHER, "unexpected " + e, now);
    }
  }

  private static Ingested deadLetter(
      ConsumerRecord<byte[], byte[]> record, DeadLetterReason reason, String message, long now) {
    return Ingested.deadLetter(
        DeadLetters.of(
            record.topic(),
            record.partition(),
            record.offset(),
            record.key(),
            reason,
            message,
            record.value(),
            now));
  }

  @Override
  public TypeInformation<Ingested> getProducedType() {
    return TypeInformation.of(Ingested.class);
  }
}
