package io.tailwatch.flink.sink;

import io.tailwatch.schemas.AvroSerdes;
import java.nio.charset.StandardCharsets;
import org.apache.avro.specific.SpecificRecord;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.util.function.SerializableFunction;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Writes Avro records single-object encoded, keyed (for per-key ordering and compaction) by a field
 * of the record, e.g. the line id of an alert.
 */
public final class AvroRecordSerializer<T extends SpecificRecord>
    implements KafkaRecordSerializationSchema<T> {
  private static final long serialVersionUID = 1L;
  private final Class<T> type;
  private final String topic;
  private final SerializableFunction<T, String> key;
  private transient AvroSerdes<T> serdes;

  public AvroRecordSerializer(Class<T> type, String topic, SerializableFunction<T, String> key) {
    if (topic == null || topic.isBlank()) {
      throw new IllegalArgumentException("topic must not be empty");
    }
    this.type = type;
    this.topic = topic;
    this.key = key;
  }

  @Override
  public ProducerRecord<byte[], byte[]> serialize(
      T element, KafkaSinkContext context, Long timestamp) {
    if (serdes == null) {
      serdes = AvroSerdes.forType(type);
    }
    String k = key == null ? null : key.apply(element);
    return new ProducerRecord<>(
        topic,
        null,
        timestamp,
        k == null ? null : k.getBytes(StandardCharsets.UTF_8),
        serdes.encode(element));
  }
}
