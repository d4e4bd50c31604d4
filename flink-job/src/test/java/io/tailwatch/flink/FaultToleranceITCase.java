package io.tailwatch.flink;

import static org.assertj.core.api.Assertions.assertThat;

import io.tailwatch.detector.image.FloatImage;
import io.tailwatch.detector.scoring.Detection;
import io.tailwatch.detector.sim.ProductLineSimulator;
import io.tailwatch.detector.sim.SimulatedFrame;
import io.tailwatch.detector.testing.TinyBackbone;
import io.tailwatch.flink.config.JobConfig;
import io.tailwatch.flink.inference.DetectorFactory;
import io.tailwatch.flink.inference.FrameDetector;
import io.tailwatch.flink.inference.PatchCoreDetectorFactory;
import io.tailwatch.flink.testing.EmbeddedKafka;
import io.tailwatch.flink.testing.TestFrames;
import io.tailwatch.flink.testing.TestJobs;
import io.tailwatch.flink.testing.TinyBank;
import io.tailwatch.schemas.Alert;
import io.tailwatch.schemas.AvroSerdes;
import io.tailwatch.schemas.CameraFrame;
import io.tailwatch.schemas.DeadLetter;
import io.tailwatch.schemas.FrameScore;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Failures mid-stream with checkpointing on: an exception injected into the inference operator, the
 * loss of a TaskManager, a Kafka broker restart. The job recovers by itself from the last
 * checkpoint; a read_committed consumer sees every expected score, alert and dead letter exactly
 * once.
 */
class FaultToleranceITCase {
  @RegisterExtension
  static final MiniClusterExtension FLINK =
      new MiniClusterExtension(
          new MiniClusterResourceConfiguration.Builder()
              .setNumberTaskManagers(2)
              .setNumberSlotsPerTaskManager(2)
              .build());

  @RegisterExtension static final EmbeddedKafka.PerClass KAFKA = new EmbeddedKafka.PerClass();

  /**
   * The real detector, slowed down (so a failure lands mid-stream) and failing once when a marker
   * file is absent.
   */
  record FlakyDetector(
      DetectorFactory delegate, long sleepMsPerFrame, int failAfterFrames, String marker)
      implements DetectorFactory {
    @Override
    public FrameDetector open() throws Exception {
      FrameDetector d = delegate.open();
      int[] seen = {0};
      return new FrameDetector() {
        @Override
        public List<Detection> detect(List<FloatImage> images) throws Exception {
          Thread.sleep(sleepMsPerFrame * images.size());
          seen[0] += images.size();
          Path m = Path.of(marker);
          if (failAfterFrames > 0 && seen[0] >= failAfterFrames && !Files.exists(m)) {
            Files.createFile(m);
            // not an inference error of one batch (those are retried frame by frame) but a task
            // crash
            throw new Error("injected task failure after " + seen[0] + " frames");
          }
          return d.detect(images);
        }

        @Override
        public double threshold() {
          return d.threshold();
        }

        @Override
        public double calibrated(double score) {
          return d.calibrated(score);
        }

        @Override
        public String executionProvider() {
          return d.executionProvider();
        }

        @Override
        public String modelVersion() {
          return d.modelVersion();
        }

        @Override
        public String bankVersion() {
          return d.bankVersion();
        }

        @Override
        public void close() throws Exception {
          d.close();
        }
      };
    }
  }

  record Setup(
      String in,
      String alerts,
      String scores,
      String dead,
      Set<String> expectedAlerts,
      Set<String> frames,
      int corrupt,
      JobConfig config,
      PatchCoreDetectorFactory detector) {}

  static Setup produce(Path dir, int frames, int corruptEvery) throws Exception {
    return produce(KAFKA.broker(), dir, frames, corruptEvery);
  }

  static Setup produce(EmbeddedKafka broker, Path dir, int frames, int corruptEvery)
      throws Exception {
    Path model = TinyBackbone.write(dir, "tiny.onnx");
    Path bankFile = dir.resolve("bank.twb");
    ProductLineSimulator line = new ProductLineSimulator(5, 64, 0.0);
    TinyBank.fit(model, bankFile, line);
    String suffix = Long.toString(System.nanoTime());
    Setup s0 =
        new Setup(
            "frames-" + suffix,
            "alerts-" + suffix,
            "scores-" + suffix,
            "dead-" + suffix,
            new TreeSet<>(),
            new TreeSet<>(),
            0,
            null,
            new PatchCoreDetectorFactory(
                model.toString(), bankFile.toString(), "cpu", 1, null, false));
    broker.createTopics(2, s0.in(), s0.alerts(), s0.scores(), s0.dead());
    List<SimulatedFrame> sims = new ArrayList<>();
    int corrupt = 0;
    try (KafkaProducer<byte[], byte[]> producer = broker.producer()) {
      for (int i = 0; i < frames; i++) {
        sims.add(sendLineFrame(producer, line, s0, 5000 + i, i));
        if ((i + 1) % corruptEvery == 0) {
          producer.send(
              new ProducerRecord<>(
                  s0.in(),
                  ("bad-" + i).getBytes(StandardCharsets.UTF_8),
                  new byte[] {(byte) 0xC3, 1, 9, 9}));
          corrupt++;
        }
      }
    }
    try (FrameDetector d = s0.detector().open()) {
      List<Detection> ds = d.detect(sims.stream().map(SimulatedFrame::toFloatImage).toList());
      for (int i = 0; i < sims.size(); i++) {
        if (ds.get(i).score() > d.threshold()) {
          s0.expectedAlerts().add("frame-" + sims.get(i).index());
        }
      }
    }
    JobConfig config =
        TestJobs.config(
            broker.bootstrapServers(),
            "ft-" + suffix,
            s0.in(),
            s0.alerts(),
            s0.scores(),
            s0.dead(),
            model,
            bankFile,
            "--kafka.bounded",
            "true",
            "--batch.max-size",
            "4",
            "--batch.max-wait",
            "20 ms",
            "--checkpoint.interval",
            "300 ms",
            "--job.parallelism",
            "2");
    return new Setup(
        s0.in(),
        s0.alerts(),
        s0.scores(),
        s0.dead(),
        s0.expectedAlerts(),
        s0.frames(),
        corrupt,
        config,
        s0.detector());
  }

  /** Every frame has exactly one committed score; returns them. */
  static List<FrameScore> assertEveryFrameScoredOnce(Setup s) throws Exception {
    List<FrameScore> scored =
        TailwatchJobITCase.decode(
            KAFKA.broker().readCommitted(s.scores(), s.frames().size(), 60_000), FrameScore.class);
    assertThat(scored)
        .extracting(FrameScore::getFrameId)
        .doesNotHaveDuplicates()
        .as(() -> whereDidTheyGo(s, scored))
        .containsExactlyInAnyOrderElementsOf(s.frames());
    return scored;
  }

  static void assertExactlyOnce(Setup s) throws Exception {
    assertEveryFrameScoredOnce(s);
    List<Alert> alerts =
        TailwatchJobITCase.decode(
            KAFKA.broker().readCommitted(s.alerts(), s.expectedAlerts().size(), 30_000),
            Alert.class);
    assertThat(s.expectedAlerts()).isNotEmpty();
    assertThat(alerts)
        .extracting(Alert::getFrameId)
        .doesNotHaveDuplicates()
        .containsExactlyInAnyOrderElementsOf(s.expectedAlerts());
    List<DeadLetter> dead =
        TailwatchJobITCase.decode(
            KAFKA.broker().readCommitted(s.dead(), s.corrupt(), 30_000), DeadLetter.class);
    assertThat(dead)
        .hasSize(s.corrupt())
        .extracting(DeadLetter::getOriginOffset)
        .doesNotHaveDuplicates();
  }

  /**
   * Waits (at most a minute) until at least {@code n} scores are committed; returns how many were
   * seen.
   */
  static int awaitCommittedScores(Setup s, int n) {
    int committed = 0;
    long end = System.currentTimeMillis() + 60_000;
    try (var consumer = KAFKA.broker().committedConsumer("probe-" + System.nanoTime())) {
      consumer.subscribe(List.of(s.scores()));
      while (committed < n && System.currentTimeMillis() < end) {
        committed += consumer.poll(java.time.Duration.ofMillis(100)).count();
      }
    }
    return committed;
  }

  /**
   * For a failed assertion: where the frames without a committed score went (aborted output, dead
   * letters).
   */
  static String whereDidTheyGo(Setup s, List<FrameScore> scored) {
    try {
      return whereDidTheyGoOrFail(s, scored);
    } catch (Exception e) {
      return "(diagnostics failed: " + e + ")";
    }
  }

  private static String whereDidTheyGoOrFail(Setup s, List<FrameScore> scored) throws Exception {
    Set<String> missing = new TreeSet<>(s.frames());
    scored.forEach(f -> missing.remove(f.getFrameId()));
    StringBuilder sb = new StringBuilder("frames without a committed score: " + missing);
    for (var r : KAFKA.broker().readAll(s.scores(), 3_000)) {
      FrameScore f = AvroSerdes.forType(FrameScore.class).decode(r.value());
      if (missing.contains(f.getFrameId())) {
        sb.append("\n  uncommitted/aborted score ")
            .append(f.getFrameId())
            .append(" at ")
            .append(r.partition())
            .append('@')
            .append(r.offset());
      }
    }
    for (var r : KAFKA.broker().readAll(s.dead(), 3_000)) {
      DeadLetter d = AvroSerdes.forType(DeadLetter.class).decode(r.value());
      String key =
          d.getKey() == null
              ? ""
              : StandardCharsets.UTF_8.decode(d.getKey().duplicate()).toString();
      if (missing.contains(key)) {
        sb.append("\n  dead letter ")
            .append(key)
            .append(": ")
            .append(d.getReasonCode())
            .append(' ')
            .append(d.getReason());
      }
    }
    return sb.append("\n  (sink and checkpoint log: flink-job/target/it.log)").toString();
  }

  @Test
  void recoversFromAnInjectedTaskFailureWithEveryResultExactlyOnce(@TempDir Path dir)
      throws Exception {
    Setup s = produce(dir, 48, 12);
    Path marker = dir.resolve("failed-once");
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    TailwatchJob.build(env, s.config(), new FlakyDetector(s.detector(), 40, 14, marker.toString()));
    env.execute("fault-injected");
    assertThat(marker).as("the failure was injected").exists();
    assertExactlyOnce(s);
  }

  @Test
  void stopsWithASavepointAndResumesAtAnotherParallelism(@TempDir Path dir) throws Exception {
    Setup bounded = produce(dir, 48, 12);
    // unbounded this time: a stopped job restores the source's splits, stopping offsets included
    JobConfig config =
        bounded
            .config()
            .with(io.tailwatch.flink.config.TailwatchOptions.BOUNDED, "false")
            .with(io.tailwatch.flink.config.TailwatchOptions.PARALLELISM, "1");
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    TailwatchJob.build(
        env,
        config,
        new FlakyDetector(bounded.detector(), 60, 0, dir.resolve("unused").toString()));
    JobClient first = env.executeAsync("before-savepoint");
    awaitCommittedScores(bounded, 8);
    String savepoint =
        first
            .stopWithSavepoint(
                false,
                dir.resolve("savepoints").toUri().toString(),
                org.apache.flink.core.execution.SavepointFormatType.CANONICAL)
            .get(60, TimeUnit.SECONDS);
    int before =
        KAFKA.broker().readCommitted(bounded.scores(), bounded.frames().size(), 2_000).size();
    assertThat(before).as("scored before the savepoint").isBetween(8, bounded.frames().size() - 4);

    org.apache.flink.configuration.Configuration restore =
        new org.apache.flink.configuration.Configuration();
    restore.set(org.apache.flink.configuration.StateRecoveryOptions.SAVEPOINT_PATH, savepoint);
    StreamExecutionEnvironment env2 = StreamExecutionEnvironment.getExecutionEnvironment(restore);
    // a new group reading from earliest: only the savepoint's source state keeps the frames already
    // scored out
    JobConfig resumed =
        config
            .with(io.tailwatch.flink.config.TailwatchOptions.PARALLELISM, "2")
            .with(
                io.tailwatch.flink.config.TailwatchOptions.GROUP_ID,
                "after-savepoint-" + System.nanoTime())
            .with(io.tailwatch.flink.config.TailwatchOptions.STARTING_OFFSETS, "earliest");
    TailwatchJob.build(
        env2,
        resumed,
        new FlakyDetector(bounded.detector(), 0, 0, dir.resolve("unused").toString()));
    JobClient second = env2.executeAsync("after-savepoint");
    try {
      assertExactlyOnce(bounded);
    } finally {
      second.cancel().get(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void survivesABrokerRestartMidStream(@TempDir Path dir) throws Exception {
    Setup s = produce(dir, 48, 12);
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    TailwatchJob.build(
        env, s.config(), new FlakyDetector(s.detector(), 60, 0, dir.resolve("unused").toString()));
    JobClient job = env.executeAsync("broker-restart");
    int committed = awaitCommittedScores(s, 8);
    assertThat(committed)
        .as("scores committed before the restart")
        .isBetween(8, s.frames().size() - 8);
    // the broker goes away under the running source, sinks and open transactions, and comes back
    KAFKA.broker().restartBroker(java.time.Duration.ofSeconds(3));
    job.getJobExecutionResult().get(180, TimeUnit.SECONDS);
    assertExactlyOnce(s);
  }

  @Test
  void survivesTheLossOfATaskManager(@TempDir Path dir, @InjectMiniCluster MiniCluster cluster)
      throws Exception {
    Setup s = produce(dir, 48, 12);
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    TailwatchJob.build(
        env, s.config(), new FlakyDetector(s.detector(), 60, 0, dir.resolve("unused").toString()));
    JobClient job = env.executeAsync("tm-loss");
    // wait until results have been committed, then take a TaskManager away mid-stream
    int committed = awaitCommittedScores(s, 8);
    assertThat(committed)
        .as("scores committed before the loss")
        .isBetween(8, s.frames().size() - 8);
    cluster.terminateTaskManager(0).get(30, TimeUnit.SECONDS);
    cluster.startTaskManager(); // a replacement, as a resource manager would bring up
    job.getJobExecutionResult().get(180, TimeUnit.SECONDS);
    assertExactlyOnce(s);
  }

  /** {@code count} more frames of the simulated line (every fourth defective) on the input. */
  static void produceMore(Setup s, int firstIndex, int count) throws Exception {
    ProductLineSimulator line = new ProductLineSimulator(5, 64, 0.0);
    try (KafkaProducer<byte[], byte[]> producer = KAFKA.broker().producer()) {
      for (int i = 0; i < count; i++) {
        sendLineFrame(producer, line, s, firstIndex + i, i);
      }
    }
  }

  /** Frame {@code index} of the brushed line (every fourth defective) onto the input topic. */
  static SimulatedFrame sendLineFrame(
      KafkaProducer<byte[], byte[]> producer,
      ProductLineSimulator line,
      Setup s,
      int index,
      int i) {
    ProductLineSimulator.Defect[] defects = ProductLineSimulator.Defect.values();
    SimulatedFrame f =
        line.frame(
            index,
            ProductLineSimulator.Variant.BRUSHED,
            i % 4 == 3 ? defects[(i / 4) % defects.length] : null);
    CameraFrame record = TestFrames.png(f);
    producer.send(
        new ProducerRecord<>(
            s.in(),
            record.getFrameId().getBytes(StandardCharsets.UTF_8),
            AvroSerdes.forType(CameraFrame.class).encode(record)));
    s.frames().add(record.getFrameId());
    return f;
  }

  /**
   * The keyed, adaptive path (online thresholds per line, statistics, bank updates through the
   * control topic): the job as {@code s} configures it with those on.
   */
  static JobConfig adaptive(Setup s, Path dir) throws Exception {
    String control = "control-" + s.in();
    String statistics = "statistics-" + s.in();
    KAFKA.broker().createTopics(1, control, statistics);
    JobConfig c = s.config();
    String[][] options = {
      {"topics.control", control},
      {"topics.statistics", statistics},
      {"threshold.adaptive", "true"},
      {"threshold.min-frames", "8"},
      {"statistics.interval", "1 s"},
      {"bank-update.dir", dir.resolve("banks").toString()},
      {"bank-update.interval", "1 s"},
      {"bank-update.sample-frames", "8"},
      {"bank-update.patches-per-frame", "16"},
      {"bank-update.enabled", "true"} // last: each step is validated
    };
    for (String[] o : options) {
      c = c.with(option(o[0]), o[1]);
    }
    return c;
  }

  static org.apache.flink.configuration.ConfigOption<?> option(String key) {
    return io.tailwatch.flink.config.TailwatchOptions.all().stream()
        .filter(o -> o.key().equals(key))
        .findFirst()
        .orElseThrow();
  }

  /**
   * On the adaptive path the alerts depend on the thresholds each line reached, so the oracle is
   * the committed scores themselves: every frame scored exactly once, and the alerts exactly the
   * frames whose committed score says anomalous, none twice, none missing.
   */
  static void assertAdaptiveExactlyOnce(Setup s) throws Exception {
    List<FrameScore> scored = assertEveryFrameScoredOnce(s);
    Set<String> anomalous = new TreeSet<>();
    scored.stream().filter(FrameScore::getAnomalous).forEach(f -> anomalous.add(f.getFrameId()));
    assertThat(anomalous).as("the defective frames alert").isNotEmpty();
    List<Alert> alerts =
        TailwatchJobITCase.decode(
            KAFKA.broker().readCommitted(s.alerts(), anomalous.size(), 30_000), Alert.class);
    assertThat(alerts)
        .extracting(Alert::getFrameId)
        .doesNotHaveDuplicates()
        .containsExactlyInAnyOrderElementsOf(anomalous);
    for (Alert a : alerts) {
      FrameScore f =
          scored.stream().filter(x -> x.getFrameId().equals(a.getFrameId())).findFirst().get();
      assertThat(a.getThreshold()).as("alert and score judged alike").isEqualTo(f.getThreshold());
    }
  }

  /** A task failure while lines adapt and banks are rebuilt from their candidates. */
  @Test
  void theKeyedAdaptivePathRecoversFromATaskFailureExactlyOnce(@TempDir Path dir) throws Exception {
    Setup s = produce(dir, 64, 16);
    Path marker = dir.resolve("failed-once");
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    TailwatchJob.build(
        env, adaptive(s, dir), new FlakyDetector(s.detector(), 40, 30, marker.toString()));
    env.execute("adaptive-fault-injected");
    assertThat(marker).as("the failure was injected").exists();
    assertAdaptiveExactlyOnce(s);
  }

  /**
   * Stopped with a savepoint, then resumed with another statistics half-life (the lines' statistics
   * start again, the restore does not fail) while the broker restarts under it.
   */
  @Test
  void theKeyedAdaptivePathResumesWithAChangedHalfLifeThroughABrokerRestart(@TempDir Path dir)
      throws Exception {
    Setup bounded = produce(dir, 64, 16);
    JobConfig config =
        adaptive(bounded, dir)
            .with(io.tailwatch.flink.config.TailwatchOptions.BOUNDED, "false")
            .with(option("statistics.half-life"), "500");
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    TailwatchJob.build(
        env, config, new FlakyDetector(bounded.detector(), 60, 0, dir.resolve("u").toString()));
    JobClient first = env.executeAsync("adaptive-before-savepoint");
    awaitCommittedScores(bounded, 12);
    String savepoint =
        first
            .stopWithSavepoint(
                false,
                dir.resolve("savepoints").toUri().toString(),
                org.apache.flink.core.execution.SavepointFormatType.CANONICAL)
            .get(60, TimeUnit.SECONDS);
    // frames after the savepoint: judged by the restored lines, whose statistics start again
    produceMore(bounded, 9000, 32);
    org.apache.flink.configuration.Configuration restore =
        new org.apache.flink.configuration.Configuration();
    restore.set(org.apache.flink.configuration.StateRecoveryOptions.SAVEPOINT_PATH, savepoint);
    StreamExecutionEnvironment env2 = StreamExecutionEnvironment.getExecutionEnvironment(restore);
    JobConfig resumed =
        config
            .with(option("statistics.half-life"), "2000")
            .with(
                io.tailwatch.flink.config.TailwatchOptions.GROUP_ID,
                "after-savepoint-" + System.nanoTime())
            .with(io.tailwatch.flink.config.TailwatchOptions.STARTING_OFFSETS, "earliest");
    TailwatchJob.build(
        env2, resumed, new FlakyDetector(bounded.detector(), 60, 0, dir.resolve("u").toString()));
    JobClient second = env2.executeAsync("adaptive-after-savepoint");
    try {
      awaitCommittedScores(bounded, 4);
      KAFKA.broker().restartBroker(java.time.Duration.ofSeconds(3));
      assertAdaptiveExactlyOnce(bounded);
      assertThat(second.getJobStatus().get(10, TimeUnit.SECONDS))
          .as("no restart loop after the changed half-life")
          .isEqualTo(org.apache.flink.api.common.JobStatus.RUNNING);
    } finally {
      second.cancel().get(30, TimeUnit.SECONDS);
    }
  }
}
