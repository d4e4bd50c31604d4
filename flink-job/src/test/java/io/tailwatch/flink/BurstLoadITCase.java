package io.tailwatch.flink;

import static org.assertj.core.api.Assertions.assertThat;

import io.tailwatch.detector.sim.ProductLineSimulator;
import io.tailwatch.detector.sim.SimulatedFrame;
import io.tailwatch.detector.testing.TinyBackbone;
import io.tailwatch.flink.config.JobConfig;
import io.tailwatch.flink.config.TailwatchOptions;
import io.tailwatch.flink.testing.EmbeddedKafka;
import io.tailwatch.flink.testing.TestFrames;
import io.tailwatch.flink.testing.TestJobs;
import io.tailwatch.flink.testing.TinyBank;
import io.tailwatch.schemas.AvroSerdes;
import io.tailwatch.schemas.CameraFrame;
import io.tailwatch.schemas.FrameScore;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A bounded burst at three times the job's measured capacity: the capacity is measured first (a
 * bounded run over a backlog, frames per second between the first and last decision), then frames
 * are sent at 3x that rate for {@link #BURST_SECONDS} while the job runs. Backpressure must hold
 * the excess in Kafka (consumer lag grows), the lag must drain after the burst, every frame must be
 * scored exactly once, and the heap must stay bounded. Figures go to {@code
 * flink-job/target/burst-load.md}.
 */
class BurstLoadITCase {
  static final int BURST_SECONDS = 12;
  static final int CALIBRATION_FRAMES = 600;

  @RegisterExtension
  static final MiniClusterExtension FLINK =
      new MiniClusterExtension(
          new MiniClusterResourceConfiguration.Builder()
              .setNumberTaskManagers(1)
              .setNumberSlotsPerTaskManager(2)
              .build());

  @RegisterExtension static final EmbeddedKafka.PerClass KAFKA = new EmbeddedKafka.PerClass();

  @Test
  void threeTimesCapacityBacklogGrowsAndDrainsNothingLost(@TempDir Path dir) throws Exception {
    Path model = TinyBackbone.write(dir, "tiny.onnx");
    Path bankFile = dir.resolve("bank.twb");
    ProductLineSimulator line = new ProductLineSimulator(5, 64, 0.1);
    TinyBank.fit(model, bankFile, new ProductLineSimulator(5, 64, 0.0));
    List<CameraFrame> templates = new ArrayList<>();
    for (int i = 0; i < 32; i++) {
      SimulatedFrame f = line.frame(9000 + i);
      templates.add(TestFrames.png(f));
    }
    AvroSerdes<CameraFrame> serdes = AvroSerdes.forType(CameraFrame.class);
    String suffix = Long.toString(System.nanoTime());

    // 1. capacity: a bounded run over a backlog
    JobConfig calConfig = job("cal-" + suffix, model, bankFile, true);
    try (KafkaProducer<byte[], byte[]> producer = KAFKA.broker().producer()) {
      for (int i = 0; i < CALIBRATION_FRAMES; i++) {
        send(
            producer,
            serdes,
            calConfig.get(TailwatchOptions.FRAMES_TOPIC),
            templates.get(i % templates.size()),
            "cal-" + i);
      }
    }
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    TailwatchJob.build(env, calConfig);
    env.execute("burst-calibration");
    List<FrameScore> calScores =
        EmbeddedKafka.decode(
            KAFKA.broker().readCommitted(calConfig.scoresTopic(), CALIBRATION_FRAMES, 60_000),
            FrameScore.class);
    assertThat(calScores).hasSize(CALIBRATION_FRAMES);
    long first =
        calScores.stream().mapToLong(s -> s.getDetectTime().toEpochMilli()).min().orElseThrow();
    long last =
        calScores.stream().mapToLong(s -> s.getDetectTime().toEpochMilli()).max().orElseThrow();
    double capacity = (CALIBRATION_FRAMES - 1) * 1000.0 / Math.max(1, last - first);

    // 2. the burst: 3x capacity for BURST_SECONDS while the job runs
    JobConfig burstConfig = job("burst-" + suffix, model, bankFile, false);
    String in = burstConfig.get(TailwatchOptions.FRAMES_TOPIC);
    StreamExecutionEnvironment env2 = StreamExecutionEnvironment.getExecutionEnvironment();
    TailwatchJob.build(env2, burstConfig);
    JobClient job = env2.executeAsync("burst");
    double rate = 3 * capacity;
    AtomicInteger sent = new AtomicInteger();
    AtomicBoolean producing = new AtomicBoolean(true);
    long[] burstWindow = new long[2];
    Thread producerThread =
        new Thread(
            () -> {
              try (KafkaProducer<byte[], byte[]> producer = KAFKA.broker().producer()) {
                long start = System.nanoTime();
                burstWindow[0] = System.currentTimeMillis();
                while (System.nanoTime() - start < BURST_SECONDS * 1_000_000_000L) {
                  long due = (long) ((System.nanoTime() - start) / 1e9 * rate);
                  while (sent.get() < due) {
                    int i = sent.getAndIncrement();
                    send(producer, serdes, in, templates.get(i % templates.size()), "b-" + i);
                  }
                  Thread.sleep(5);
                }
                producer.flush();
                burstWindow[1] = System.currentTimeMillis();
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              } finally {
                producing.set(false);
              }
            },
            "burst-producer");
    producerThread.start();

    // 3. watch the consumer lag (offsets committed on checkpoints) and the heap until the backlog
    // is gone
    long maxHeap = Runtime.getRuntime().maxMemory();
    long peakHeap = 0;
    long peakLag = 0;
    long drainedAt = -1;
    List<String> samples = new ArrayList<>();
    long watchStart = System.currentTimeMillis();
    try (Admin admin = Admin.create(adminProperties())) {
      while (System.currentTimeMillis() - watchStart < 240_000) {
        long lag = lag(admin, "burst-" + suffix, in);
        long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
        peakHeap = Math.max(peakHeap, heap);
        peakLag = Math.max(peakLag, lag);
        samples.add(
            String.format(
                Locale.ROOT,
                "| %.1f | %d | %d | %d |",
                (System.currentTimeMillis() - watchStart) / 1000.0,
                sent.get(),
                lag,
                heap >> 20));
        if (!producing.get() && lag == 0) {
          drainedAt = System.currentTimeMillis();
          break;
        }
        Thread.sleep(500);
      }
    } finally {
      producerThread.join(30_000);
    }
    int total = sent.get();
    List<FrameScore> scores;
    try {
      scores =
          EmbeddedKafka.decode(
              KAFKA.broker().readCommitted(burstConfig.scoresTopic(), total, 60_000),
              FrameScore.class);
    } finally {
      job.cancel().get(30, TimeUnit.SECONDS);
    }
    long[] latency = scores.stream().mapToLong(FrameScore::getLatencyMs).sorted().toArray();
    String report =
        String.format(
            Locale.ROOT,
            """
        # Burst load: 3x measured capacity for %d s (BurstLoadITCase)

        | figure | value |
        |---|---|
        | capacity (bounded run over a %d-frame backlog, parallelism 2) | %.1f frames/s |
        | burst rate, duration, frames sent | %.1f frames/s, %.1f s, %d |
        | peak consumer lag (committed offsets, sampled every 0.5 s) | %d frames |
        | backlog drained | %.1f s after the burst ended |
        | frames scored / duplicates | %d / %d |
        | latency (capture to decision) p50 / p99 / max | %d / %d / %d ms |
        | peak heap (whole test JVM: MiniCluster, broker, test) | %d MiB of %d MiB |

        | t (s) | sent | lag | heap MiB |
        |---|---|---|---|
        %s
        """,
            BURST_SECONDS,
            CALIBRATION_FRAMES,
            capacity,
            rate,
            (burstWindow[1] - burstWindow[0]) / 1000.0,
            total,
            peakLag,
            drainedAt < 0 ? -1.0 : (drainedAt - burstWindow[1]) / 1000.0,
            scores.size(),
            scores.size() - scores.stream().map(FrameScore::getFrameId).distinct().count(),
            pct(latency, 0.5),
            pct(latency, 0.99),
            latency.length == 0 ? 0 : latency[latency.length - 1],
            peakHeap >> 20,
            maxHeap >> 20,
            String.join("\n", samples));
    Path out = Path.of("target", "burst-load.md");
    Files.createDirectories(out.getParent());
    Files.writeString(out, report);
    System.out.println(report);

    assertThat(drainedAt).as("the backlog drained within 4 minutes").isPositive();
    Set<String> ids = new HashSet<>();
    scores.forEach(s -> ids.add(s.getFrameId()));
    assertThat(scores).as("one score per frame").hasSize(total);
    assertThat(ids).as("no duplicates, none lost").hasSize(total);
    // at 3x capacity the backlog grows by about 2x capacity per second; ask for a quarter of that
    assertThat(peakLag)
        .as("backpressure kept a backlog in Kafka")
        .isGreaterThan((long) (0.5 * capacity * BURST_SECONDS));
    assertThat(peakHeap).as("heap bounded").isLessThan((long) (0.9 * maxHeap));
  }

  static long pct(long[] sorted, double p) {
    return sorted.length == 0 ? 0 : sorted[Math.min(sorted.length - 1, (int) (p * sorted.length))];
  }

  static void send(
      KafkaProducer<byte[], byte[]> producer,
      AvroSerdes<CameraFrame> serdes,
      String topic,
      CameraFrame template,
      String id) {
    CameraFrame f =
        CameraFrame.newBuilder(template).setFrameId(id).setCaptureTime(Instant.now()).build();
    producer.send(
        new ProducerRecord<>(topic, id.getBytes(StandardCharsets.UTF_8), serdes.encode(f)));
  }

  /**
   * A job on four fresh topics named after {@code run}: {@code <run>-frames}, -alerts, -scores,
   * -dead.
   */
  static JobConfig job(String run, Path model, Path bank, boolean bounded) throws Exception {
    KAFKA
        .broker()
        .createTopics(2, run + "-frames", run + "-alerts", run + "-scores", run + "-dead");
    return TestJobs.config(
        KAFKA.broker().bootstrapServers(),
        run,
        run + "-frames",
        run + "-alerts",
        run + "-scores",
        run + "-dead",
        model,
        bank,
        "--kafka.bounded",
        Boolean.toString(bounded),
        "--batch.max-size",
        "16",
        "--batch.max-wait",
        "20 ms",
        "--checkpoint.interval",
        "1 s",
        "--job.parallelism",
        "2",
        "--" + TailwatchOptions.HEATMAPS.key(),
        "false");
  }

  static Properties adminProperties() {
    Properties p = new Properties();
    p.put("bootstrap.servers", KAFKA.broker().bootstrapServers());
    return p;
  }

  /**
   * Frames in the topic not yet committed by the job's consumer group (all of them before its first
   * commit).
   */
  static long lag(Admin admin, String group, String topic) throws Exception {
    Map<TopicPartition, OffsetAndMetadata> committed =
        admin
            .listConsumerGroupOffsets(group)
            .partitionsToOffsetAndMetadata()
            .get(10, TimeUnit.SECONDS);
    List<TopicPartition> partitions =
        Arrays.asList(new TopicPartition(topic, 0), new TopicPartition(topic, 1));
    Map<TopicPartition, OffsetSpec> latest = new java.util.HashMap<>();
    partitions.forEach(tp -> latest.put(tp, OffsetSpec.latest()));
    var ends = admin.listOffsets(latest).all().get(10, TimeUnit.SECONDS);
    long lag = 0;
    for (TopicPartition tp : partitions) {
      OffsetAndMetadata c = committed.get(tp);
      lag += ends.get(tp).offset() - (c == null ? 0 : c.offset());
    }
    return lag;
  }
}
