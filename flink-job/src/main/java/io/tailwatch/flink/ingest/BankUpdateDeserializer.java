package io.tailwatch.flink.ingest;

import io.tailwatch.schemas.AvroSerdes;
import io.tailwatch.schemas.BankUpdate;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Bank announcements from the control topic. An announcement that does not decode is logged (with
 * its offset) and skipped: the control topic is written by the job and by operators, and a bad
 * record there must not stop scoring.
 */
public final class BankUpdateDeserializer implements KafkaRecordDeserializationSchema<BankUpdate> {
  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(BankUpdateDeserializer.class);
  private transient AvroSerdes<BankUpdate> serdes;

  @Override
  public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<BankUpdate> out) {
    if (serdes == null) {
      serdes = AvroSerdes.forType(BankUpdate.class);
    }
    try {
      out.collect(serdes.decode(record.value()));
    } catch (io.tailwatch.schemas.AvroDecodeException | RuntimeException e) {
      LOG.error(
          "control topic {} partition {} offset {}: not a BankUpdate, skipped: {}",
          record.topic(),
          record.partition(),
          record.offset(),
          e.getMessage());
    }
  }

  @Override
  public TypeInformation<BankUpdate> getProducedType() {
    return TypeInformation.of(BankUpdate.class);
  }
}
