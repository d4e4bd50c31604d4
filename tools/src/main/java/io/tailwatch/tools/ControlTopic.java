package io.tailwatch.tools;

import io.tailwatch.flink.config.KafkaClientProperties;
import io.tailwatch.schemas.AvroSerdes;
import io.tailwatch.schemas.BankUpdate;
import java.nio.charset.StandardCharsets;
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/** Writes one control record (announcement, accepted drift) to a job's control topic. */
final class ControlTopic {
  private ControlTopic() {}

  /**
   * Sends {@code record} keyed by its version and waits for all in-sync replicas.
   *
   * @param kafkaProperties the client settings file (security, ...), or null
   */
  static RecordMetadata send(
      String bootstrapServers, String kafkaProperties, String topic, BankUpdate record)
      throws Exception {
    Properties p = KafkaClientProperties.load(kafkaProperties);
    p.put("bootstrap.servers", bootstrapServers);
    p.put("key.serializer", ByteArraySerializer.class.getName());
    p.put("value.serializer", ByteArraySerializer.class.getName());
    p.put("acks", "all");
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p)) {
      return producer
          .send(
              new ProducerRecord<>(
                  topic,
                  record.getBankVersion().toString().getBytes(StandardCharsets.UTF_8),
                  AvroSerdes.forType(BankUpdate.class).encode(record)))
          .get();
    }
  }
}
