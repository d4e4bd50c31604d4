package io.tailwatch.flink.ingest;

import io.tailwatch.schemas.CameraFrame;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Camera frames: Avro decode, then field, limit, header-size and claim-check checks ({@link
 * FramePayloads}).
 */
public final class CameraFrameDeserializer extends ValidatingDeserializer<CameraFrame> {
  private static final long serialVersionUID = 1L;

  private final FrameLimits limits;
  private transient FramePayloads payloads;

  public CameraFrameDeserializer(FrameLimits limits) {
    super(CameraFrame.class);
    this.limits = limits;
  }

  @Override
  void prepare() {
    payloads = new FramePayloads(limits);
  }

  @Override
  void validate(CameraFrame frame) throws FrameRejectedException {
    payloads.validate(frame);
  }

  @Override
  Ingested wrap(CameraFrame frame, ConsumerRecord<byte[], byte[]> record, long now) {
    return Ingested.frame(
        frame, record.topic(), record.partition(), record.offset(), record.key(), now);
  }
}
