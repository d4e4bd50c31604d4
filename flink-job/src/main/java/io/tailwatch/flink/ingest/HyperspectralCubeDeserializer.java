package io.tailwatch.flink.ingest;

import io.tailwatch.schemas.HyperspectralCube;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Hyperspectral cubes: Avro decode, then dimension, size and claim-check checks ({@link
 * CubePayloads}).
 */
public final class HyperspectralCubeDeserializer extends ValidatingDeserializer<HyperspectralCube> {
  private static final long serialVersionUID = 1L;

  private final CubeLimits limits;
  private transient CubePayloads payloads;

  public HyperspectralCubeDeserializer(CubeLimits limits) {
    super(HyperspectralCube.class);
    this.limits = limits;
  }

  @Override
  void prepare() {
    payloads = new CubePayloads(limits);
  }

  @Override
  void validate(HyperspectralCube cube) throws FrameRejectedException {
    payloads.validate(cube);
  }

  @Override
  Ingested wrap(HyperspectralCube cube, ConsumerRecord<byte[], byte[]> record, long now) {
    return Ingested.cube(
        cube, record.topic(), record.partition(), record.offset(), record.key(), now);
  }
}
