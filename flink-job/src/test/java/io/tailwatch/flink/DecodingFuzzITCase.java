package io.tailwatch.flink;

import static org.assertj.core.api.Assertions.assertThat;

import io.tailwatch.detector.sim.CubeSimulator;
import io.tailwatch.detector.sim.ProductLineSimulator;
import io.tailwatch.detector.testing.TinyBackbone;
import io.tailwatch.flink.config.JobConfig;
import io.tailwatch.flink.cube.CubeRecords;
import io.tailwatch.flink.testing.EmbeddedKafka;
import io.tailwatch.flink.testing.TestFrames;
import io.tailwatch.flink.testing.TinyBank;
import io.tailwatch.schemas.AvroSerdes;
import io.tailwatch.schemas.CameraFrame;
import io.tailwatch.schemas.CubeDataType;
import io.tailwatch.schemas.DeadLetter;
import io.tailwatch.schemas.DeadLetterReason;
import io.tailwatch.schemas.FrameScore;
import io.tailwatch.schemas.HyperspectralCube;
import io.tailwatch.schemas.ImageEncoding;
import io.tailwatch.schemas.Interleave;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * 10,000+ mutated records interleaved with good frames through the whole job. Mutations whose
 * outcome is known (truncation, wrong marker or fingerprint, huge declared lengths, zero/negative
 * dimensions, payload/dimension mismatch, out-of-range enum symbols, broken PNG) must each give one
 * dead letter with that reason; random bit flips must each give a score or a dead letter; every
 * good frame must be scored; the job must finish.
 */
class DecodingFuzzITCase {
  @RegisterExtension
  static final MiniClusterExtension FLINK =
      new MiniClusterExtension(
          new MiniClusterResourceConfiguration.Builder()
              .setNumberTaskManagers(1)
              .setNumberSlotsPerTaskManager(2)
              .build());

  @Test
  void theJobSurvivesTenThousandMutatedRecords(@TempDir Path dir) throws Exception {
    Path model = TinyBackbone.write(dir, "tiny.onnx");
    Path bankFile = dir.resolve("bank.twb");
    TinyBank.fit(model, bankFile, new ProductLineSimulator(5, 64, 0.0));
    AvroSerdes<CameraFrame> serdes = AvroSerdes.forType(CameraFrame.class);
    Random r = new Random(2024);
    Map<String, DeadLetterReason> expected = new HashMap<>();
    Set<String> good = new HashSet<>();
    int flips = 0;
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      kafka.createTopics(2, "in", "alerts", "scores", "dead");
      try (KafkaProducer<byte[], byte[]> producer = kafka.producer()) {
        int n = 0;
        for (int i = 0; n < 10_000; i++) {
          CameraFrame base = TestFrames.raw("g" + i, 16, 40 + i % 50);
          if (i % 100 == 0) { // a good frame every 100 records
            send(producer, "good-" + i, serdes.encode(base));
            good.add(base.getFrameId());
          }
          byte[] bytes = serdes.encode(base);
          String kind;
          byte[] mutated;
          DeadLetterReason reason;
          switch (i % 10) {
            case 0 -> {
              kind = "truncated";
              mutated = truncated(bytes, r);
              reason = DeadLetterReason.UNDECODABLE;
            }
            case 1 -> {
              kind = "marker";
              mutated = bytes.clone();
              mutated[r.nextInt(2)] ^= (byte) (1 + r.nextInt(255));
              reason = DeadLetterReason.UNDECODABLE;
            }
            case 2 -> {
              kind = "fingerprint";
              mutated = wrongFingerprint(bytes, r);
              reason = DeadLetterReason.UNKNOWN_SCHEMA;
            }
            case 3 -> {
              kind = "huge-length"; // the frameId's length prefix (first body byte) set to a huge
              // varint
              mutated = hugeFirstLength(bytes);
              reason = DeadLetterReason.UNDECODABLE;
            }
            case 4 -> {
              kind = "dimension";
              int w = r.nextBoolean() ? 0 : -1 - r.nextInt(1000);
              mutated = serdes.encode(CameraFrame.newBuilder(base).setWidth(w).build());
              reason = DeadLetterReason.INVALID_FIELD;
            }
            case 5 -> {
              kind = "mismatch";
              mutated =
                  serdes.encode(CameraFrame.newBuilder(base).setHeight(17 + r.nextInt(5)).build());
              reason = DeadLetterReason.DIMENSION_MISMATCH;
            }
            case 6 -> {
              kind = "broken-png";
              byte[] png = new ProductLineSimulator(1, 64, 0).frame(i).png();
              byte[] broken = Arrays.copyOf(png, 16 + r.nextInt(png.length / 2));
              mutated =
                  serdes.encode(
                      CameraFrame.newBuilder(base)
                          .setWidth(64)
                          .setHeight(64)
                          .setEncoding(ImageEncoding.PNG)
                          .setPayload(ByteBuffer.wrap(broken))
                          .build());
              reason = DeadLetterReason.UNDECODABLE;
            }
            case 7 -> {
              kind = "enum"; // an encoding symbol index no schema version has
              mutated = replaceEnumIndex(bytes, serdes, base);
              reason = DeadLetterReason.UNDECODABLE;
            }
            default -> {
              kind = "flip";
              mutated = bitFlips(bytes, r);
              reason = null;
              flips++;
            }
          }
          String key = kind + "-" + i;
          if (reason != null) {
            expected.put(key, reason);
          }
          send(producer, key, mutated);
          n++;
        }
      }

      JobConfig config =
          JobConfig.fromArgs(
              "--kafka.bootstrap-servers",
              kafka.bootstrapServers(),
              "--kafka.bounded",
              "true",
              "--topics.frames",
              "in",
              "--topics.alerts",
              "alerts",
              "--topics.scores",
              "scores",
              "--topics.dead-letters",
              "dead",
              "--detector.backbone",
              model.toString(),
              "--detector.bank",
              bankFile.toString(),
              "--detector.device",
              "cpu",
              "--detector.threads",
              "1",
              "--detector.threshold",
              "1e9",
              "--batch.max-size",
              "16",
              "--checkpoint.interval",
              "500 ms",
              "--job.parallelism",
              "2");
      StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
      TailwatchJob.build(env, config);
      env.execute("fuzz");

      assertOutcomes(kafka, "frame fuzz", expected, good, flips);
    }
  }

  /**
   * The cube path: 10,000 mutated cube records (truncation, marker, fingerprint, huge declared
   * length, zero or negative dimensions, too many bands, payload/dimension mismatch, NaN/Inf
   * samples, unknown interleave symbol, bit flips) interleaved with good cubes through the cube
   * chain.
   */
  @Test
  void theCubeChainSurvivesTenThousandMutatedRecords(@TempDir Path dir) throws Exception {
    Path model = TinyBackbone.write(dir, "tiny.onnx");
    Path bankFile = dir.resolve("bank.twb");
    TinyBank.fit(model, bankFile, new ProductLineSimulator(5, 64, 0.0));
    AvroSerdes<HyperspectralCube> serdes = AvroSerdes.forType(HyperspectralCube.class);
    CubeSimulator sim = new CubeSimulator(4, 8, 8, 4, 0.3);
    Random r = new Random(77);
    Map<String, DeadLetterReason> expected = new HashMap<>();
    Set<String> good = new HashSet<>();
    int flips = 0;
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      kafka.createTopics(2, "in", "cubes", "alerts", "scores", "dead");
      try (KafkaProducer<byte[], byte[]> producer = kafka.producer()) {
        for (int i = 0; i < 10_000; i++) {
          boolean floating = i % 3 == 0;
          HyperspectralCube base =
              CubeRecords.inline(
                      "c" + i,
                      "line-h",
                      sim.cube(i % 50).cube(),
                      Interleave.values()[i % 3],
                      floating ? CubeDataType.FLOAT32 : CubeDataType.UINT16,
                      i % 2 == 0
                          ? io.tailwatch.schemas.ByteOrder.LITTLE_ENDIAN
                          : io.tailwatch.schemas.ByteOrder.BIG_ENDIAN,
                      java.time.Instant.now(),
                      Map.of())
                  .build();
          if (i % 100 == 0) {
            sendTo(producer, "cubes", "good-" + i, serdes.encode(base));
            good.add(base.getCubeId());
          }
          byte[] bytes = serdes.encode(base);
          String kind;
          byte[] mutated;
          DeadLetterReason reason;
          switch (i % 10) {
            case 0 -> {
              kind = "truncated";
              mutated = truncated(bytes, r);
              reason = DeadLetterReason.UNDECODABLE;
            }
            case 1 -> {
              kind = "fingerprint";
              mutated = wrongFingerprint(bytes, r);
              reason = DeadLetterReason.UNKNOWN_SCHEMA;
            }
            case 2 -> {
              kind = "huge-length"; // the cubeId's length prefix set to 2^31 - 1
              mutated = hugeFirstLength(bytes);
              reason = DeadLetterReason.UNDECODABLE;
            }
            case 3 -> {
              kind = "dimension";
              mutated =
                  serdes.encode(
                      HyperspectralCube.newBuilder(base)
                          .setLines(r.nextBoolean() ? 0 : -1 - r.nextInt(1000))
                          .build());
              reason = DeadLetterReason.INVALID_FIELD;
            }
            case 4 -> {
              kind = "bands";
              mutated =
                  serdes.encode(
                      HyperspectralCube.newBuilder(base)
                          .setBands(r.nextBoolean() ? 1 : 100_000 + r.nextInt(1 << 20))
                          .build());
              reason = DeadLetterReason.INVALID_FIELD;
            }
            case 5 -> {
              kind = "mismatch";
              mutated =
                  serdes.encode(
                      HyperspectralCube.newBuilder(base).setSamples(9 + r.nextInt(5)).build());
              reason = DeadLetterReason.DIMENSION_MISMATCH;
            }
            case 6 -> {
              kind = "non-finite";
              HyperspectralCube f =
                  CubeRecords.inline(
                          "nf" + i,
                          "line-h",
                          sim.cube(i % 50).cube(),
                          Interleave.BIP,
                          CubeDataType.FLOAT32,
                          io.tailwatch.schemas.ByteOrder.LITTLE_ENDIAN,
                          java.time.Instant.now(),
                          Map.of())
                      .build();
              ByteBuffer payload =
                  ByteBuffer.allocate(f.getPayload().remaining())
                      .order(java.nio.ByteOrder.LITTLE_ENDIAN)
                      .put(f.getPayload().duplicate());
              payload.putFloat(
                  4 * r.nextInt(8 * 8 * 4), r.nextBoolean() ? Float.NaN : Float.NEGATIVE_INFINITY);
              mutated =
                  serdes.encode(
                      HyperspectralCube.newBuilder(f)
                          .setPayload(ByteBuffer.wrap(payload.array()))
                          .build());
              reason = DeadLetterReason.UNDECODABLE;
            }
            case 7 -> {
              kind = "interleave"; // an interleave symbol index no schema version has
              byte[] other =
                  serdes.encode(
                      HyperspectralCube.newBuilder(base)
                          .setInterleave(
                              base.getInterleave() == Interleave.BSQ
                                  ? Interleave.BIL
                                  : Interleave.BSQ)
                          .build());
              int at = 0;
              while (bytes[at] == other[at]) {
                at++;
              }
              mutated =
                  concat(
                      Arrays.copyOf(bytes, at),
                      new byte[] {(byte) 0xC6, 0x01},
                      Arrays.copyOfRange(bytes, at + 1, bytes.length));
              reason = DeadLetterReason.UNDECODABLE;
            }
            default -> {
              kind = "flip";
              mutated = bitFlips(bytes, r);
              reason = null;
              flips++;
            }
          }
          String key = kind + "-" + i;
          if (reason != null) {
            expected.put(key, reason);
          }
          sendTo(producer, "cubes", key, mutated);
        }
      }

      JobConfig config =
          JobConfig.fromArgs(
              "--kafka.bootstrap-servers",
              kafka.bootstrapServers(),
              "--kafka.bounded",
              "true",
              "--topics.frames",
              "in",
              "--topics.cubes",
              "cubes",
              "--topics.alerts",
              "alerts",
              "--topics.scores",
              "scores",
              "--topics.dead-letters",
              "dead",
              "--detector.backbone",
              model.toString(),
              "--detector.bank",
              bankFile.toString(),
              "--detector.device",
              "cpu",
              "--detector.threads",
              "1",
              "--limits.max-bands",
              "64",
              "--checkpoint.interval",
              "500 ms",
              "--job.parallelism",
              "2");
      StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
      TailwatchJob.build(env, config);
      env.execute("cube-fuzz");

      assertOutcomes(kafka, "cube fuzz", expected, good, flips);
    }
  }

  /**
   * One dead letter per record; each mutation of known kind with its reason; every good record
   * scored and never dead-lettered; every bit-flipped record either scored or dead-lettered.
   */
  private static void assertOutcomes(
      EmbeddedKafka kafka,
      String what,
      Map<String, DeadLetterReason> expected,
      Set<String> good,
      int flips) {
    List<DeadLetter> dead =
        TailwatchJobITCase.decode(
            kafka.readCommitted("dead", expected.size(), 120_000), DeadLetter.class);
    List<FrameScore> scores =
        TailwatchJobITCase.decode(
            kafka.readCommitted("scores", good.size(), 60_000), FrameScore.class);
    Map<String, DeadLetterReason> byKey = new HashMap<>();
    for (DeadLetter d : dead) {
      byKey.put(
          StandardCharsets.UTF_8.decode(d.getKey().duplicate()).toString(), d.getReasonCode());
    }
    assertThat(byKey).hasSize(dead.size());
    for (Map.Entry<String, DeadLetterReason> e : expected.entrySet()) {
      assertThat(byKey.get(e.getKey())).as(e.getKey()).isEqualTo(e.getValue());
    }
    assertThat(scores).extracting(FrameScore::getFrameId).containsAll(good);
    long flipsDead = byKey.keySet().stream().filter(k -> k.startsWith("flip-")).count();
    long flipsScored = scores.size() - good.size();
    assertThat(flipsDead + flipsScored)
        .as("every flipped record scored or dead-lettered")
        .isEqualTo(flips);
    assertThat(byKey.keySet().stream().filter(k -> k.startsWith("good-"))).isEmpty();
    System.out.printf(
        "%s: %d records (%d good, %d with known outcome, %d bit flips: %d dead, %d scored)%n",
        what, 10_000 + good.size(), good.size(), expected.size(), flips, flipsDead, flipsScored);
  }

  private static void sendTo(
      KafkaProducer<byte[], byte[]> producer, String topic, String key, byte[] value) {
    producer.send(new ProducerRecord<>(topic, key.getBytes(StandardCharsets.UTF_8), value));
  }

  private static void send(KafkaProducer<byte[], byte[]> producer, String key, byte[] value) {
    sendTo(producer, "in", key, value);
  }

  /** Cut somewhere after the 10-byte single-object header. */
  private static byte[] truncated(byte[] bytes, Random r) {
    return Arrays.copyOf(bytes, 10 + r.nextInt(bytes.length - 10));
  }

  /** One byte of the 8-byte schema fingerprint changed. */
  private static byte[] wrongFingerprint(byte[] bytes, Random r) {
    byte[] out = bytes.clone();
    out[2 + r.nextInt(8)] ^= (byte) (1 + r.nextInt(255));
    return out;
  }

  /**
   * The first field's length prefix (the first body byte, a short string's) replaced by 2^31 - 1.
   */
  private static byte[] hugeFirstLength(byte[] bytes) {
    byte[] varint = {(byte) 0xfe, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0x0f};
    return concat(Arrays.copyOf(bytes, 10), varint, Arrays.copyOfRange(bytes, 11, bytes.length));
  }

  /** One to four random bit flips in the body. */
  private static byte[] bitFlips(byte[] bytes, Random r) {
    byte[] out = bytes.clone();
    for (int f = 0; f < 1 + r.nextInt(4); f++) {
      int at = 10 + r.nextInt(out.length - 10);
      out[at] ^= (byte) (1 << r.nextInt(8));
    }
    return out;
  }

  private static byte[] concat(byte[]... parts) {
    int n = 0;
    for (byte[] p : parts) {
      n += p.length;
    }
    byte[] out = new byte[n];
    int at = 0;
    for (byte[] p : parts) {
      System.arraycopy(p, 0, out, at, p.length);
      at += p.length;
    }
    return out;
  }

  /** Re-encodes with the encoding enum's index replaced by 99 (zig-zag varint 198 = 0xC6 0x01). */
  private static byte[] replaceEnumIndex(
      byte[] bytes, AvroSerdes<CameraFrame> serdes, CameraFrame base) {
    // the encoding enum follows the pixelFormat enum; both are single-byte varints here. Find them
    // by encoding two
    // frames that differ only in the encoding symbol and taking the first differing byte.
    byte[] other =
        serdes.encode(CameraFrame.newBuilder(base).setEncoding(ImageEncoding.JPEG).build());
    int at = 0;
    while (bytes[at] == other[at]) {
      at++;
    }
    return concat(
        Arrays.copyOf(bytes, at),
        new byte[] {(byte) 0xC6, 0x01},
        Arrays.copyOfRange(bytes, at + 1, bytes.length));
  }
}
