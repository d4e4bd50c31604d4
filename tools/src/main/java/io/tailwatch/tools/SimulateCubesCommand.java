package io.tailwatch.tools;

import io.tailwatch.detector.sim.CubeSimulator;
import io.tailwatch.flink.cube.CubeRecords;
import io.tailwatch.flink.ingest.ClaimCheckWriter;
import io.tailwatch.schemas.AvroSerdes;
import io.tailwatch.schemas.ByteOrder;
import io.tailwatch.schemas.CubeDataType;
import io.tailwatch.schemas.HyperspectralCube;
import io.tailwatch.schemas.Interleave;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code simulate-cubes}: simulated hyperspectral cubes (with ground truth in the attributes) to a
 * topic.
 */
@Command(
    name = "simulate-cubes",
    mixinStandardHelpOptions = true,
    description = {
      "Send simulated hyperspectral cubes (endmember mixtures; a share with a full-pixel and a",
      "sub-pixel target) to Kafka as Avro HyperspectralCube; cubes above --inline-limit go by claim check."
    })
final class SimulateCubesCommand implements Callable<Integer> {
  static final String ATTR_TARGET = "sim.target";

  @Option(
      names = "--bootstrap-servers",
      defaultValue = "localhost:9092",
      description = "Default: ${DEFAULT-VALUE}.")
  String bootstrapServers;

  @Option(
      names = "--topic",
      defaultValue = "tailwatch.cubes",
      description = "Default: ${DEFAULT-VALUE}.")
  String topic;

  @Option(
      names = "--cubes",
      defaultValue = "100",
      description = "Cubes to send. Default: ${DEFAULT-VALUE}.")
  int cubes;

  @Option(
      names = "--rate",
      defaultValue = "5",
      description = "Cubes per second. Default: ${DEFAULT-VALUE}.")
  double rate;

  @Option(
      names = "--size",
      defaultValue = "64x64x48",
      description = "lines x samples x bands. Default: ${DEFAULT-VALUE}.")
  String size;

  @Option(
      names = "--target-rate",
      defaultValue = "0.3",
      description = "Share of cubes with targets. Default: ${DEFAULT-VALUE}.")
  double targetRate;

  @Option(
      names = "--interleave",
      defaultValue = "BSQ",
      description = "BSQ, BIL or BIP. Default: ${DEFAULT-VALUE}.")
  Interleave interleave;

  @Option(
      names = "--data-type",
      defaultValue = "UINT16",
      description = "UINT8, INT16, UINT16, FLOAT32, FLOAT64. Default: ${DEFAULT-VALUE}.")
  CubeDataType dataType;

  @Option(
      names = "--inline-limit",
      defaultValue = "1000000",
      description =
          "Payloads above this many bytes are written to --claim-check-dir and sent by reference."
              + " Default: ${DEFAULT-VALUE}.")
  int inlineLimit;

  @Option(
      names = "--claim-check-dir",
      description =
          "Folder or URI (s3://..., any scheme Flink's FileSystem has a plugin for) for"
              + " claim-check payloads: the job's claim-check.root or a folder below it.")
  String claimCheckDir;

  @Option(names = "--seed", defaultValue = "7")
  long seed;

  @Option(names = "--line-id", defaultValue = "line-h1")
  String lineId;

  @Override
  public Integer call() throws Exception {
    String[] dims = size.toLowerCase(Locale.ROOT).split("x");
    if (dims.length != 3) {
      throw new IllegalArgumentException(
          "--size must be lines x samples x bands, e.g. 64x64x48 (was '" + size + "')");
    }
    if (cubes < 1 || !(rate > 0)) {
      throw new IllegalArgumentException("--cubes and --rate must be positive");
    }
    CubeSimulator sim =
        new CubeSimulator(
            seed,
            Integer.parseInt(dims[0]),
            Integer.parseInt(dims[1]),
            Integer.parseInt(dims[2]),
            targetRate);
    AvroSerdes<HyperspectralCube> serdes = AvroSerdes.forType(HyperspectralCube.class);
    Properties p =
        FrameProducer.producerProperties(bootstrapServers, Math.max(2 * inlineLimit, 1 << 20));
    String run = "cubes-" + System.currentTimeMillis();
    ClaimCheckWriter claims = claimCheckDir == null ? null : new ClaimCheckWriter(claimCheckDir);
    long start = System.nanoTime();
    int byReference = 0;
    int targets = 0;
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p);
        ProgressBar bar = new ProgressBar("cubes")) {
      for (int i = 0; i < cubes; i++) {
        long wait = start + (long) (i * 1e9 / rate) - System.nanoTime();
        if (wait > 0) {
          Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
        }
        CubeSimulator.SimulatedCube c = sim.cube(i);
        targets += c.hasTarget() ? 1 : 0;
        String id = run + "-" + i;
        HyperspectralCube.Builder record =
            CubeRecords.inline(
                id,
                lineId,
                c.cube(),
                interleave,
                dataType,
                ByteOrder.LITTLE_ENDIAN,
                Instant.now(),
                Map.of(ATTR_TARGET, Boolean.toString(c.hasTarget())));
        if (record.getPayload().remaining() > inlineLimit) {
          if (claims == null) {
            throw new IllegalArgumentException(
                "cube "
                    + id
                    + " is "
                    + record.getPayload().remaining()
                    + " bytes, above --inline-limit "
                    + inlineLimit
                    + ": give --claim-check-dir for claim checks");
          }
          ClaimCheckWriter.Written written = claims.write(id + ".raw", record.getPayload());
          record.setPayload(null).setPayloadUri(written.uri()).setPayloadSha256(written.sha256());
          byReference++;
        }
        producer.send(
            new ProducerRecord<>(
                topic,
                (lineId + "/hsi").getBytes(StandardCharsets.UTF_8),
                serdes.encode(record.build())));
        bar.update(i + 1, cubes);
      }
      producer.flush();
    }
    System.out.printf(
        Locale.ROOT,
        "sent %d cubes (%d with targets, %d by claim check) to %s in %.1f s, run %s%n",
        cubes,
        targets,
        byReference,
        topic,
        (System.nanoTime() - start) / 1e9,
        run);
    return 0;
  }
}
