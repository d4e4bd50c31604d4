package io.tailwatch.flink;

import static org.assertj.core.api.Assertions.assertThat;

import io.tailwatch.detector.sim.ProductLineSimulator;
import io.tailwatch.detector.testing.TinyBackbone;
import io.tailwatch.flink.config.JobConfig;
import io.tailwatch.flink.testing.EmbeddedKafka;
import io.tailwatch.flink.testing.TestFrames;
import io.tailwatch.flink.testing.TestJobs;
import io.tailwatch.flink.testing.TinyBank;
import io.tailwatch.schemas.AvroSerdes;
import io.tailwatch.schemas.CameraFrame;
import io.tailwatch.schemas.FrameScore;
import io.tailwatch.schemas.ScoreStatistics;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A broken tool through the real job (issue 26): normal frames, then a run in which every frame
 * carries a defect, then normal frames again, with the online threshold and bank updates on at the
 * job's defaults otherwise. The run must keep alerting from its first frame to its last (the
 * threshold must not rise into it), be reported as drift on the statistics topic, and the false
 * alarms after it must be back near the rate before it. {@code replay-adaptation --scenario
 * sustained-defect} is the same scenario, deterministic and larger (2,000 / 5,000 / 2,000 frames on
 * MobileNetV2); the suite runs 600 / 1,200 / 600 on the generated CNN.
 */
class SustainedDefectITCase {
  @RegisterExtension
  static final MiniClusterExtension FLINK =
      new MiniClusterExtension(
          new MiniClusterResourceConfiguration.Builder()
              .setNumberTaskManagers(1)
              .setNumberSlotsPerTaskManager(1)
              .build());

  @RegisterExtension static final EmbeddedKafka.PerClass KAFKA = new EmbeddedKafka.PerClass();

  static final int BEFORE = Integer.getInteger("tailwatch.sustained.before", 600);
  static final int RUN = Integer.getInteger("tailwatch.sustained.run", 1200);
  static final int AFTER = Integer.getInteger("tailwatch.sustained.after", 600);
  static final int FRAMES = BEFORE + RUN + AFTER;
  static final int DRIFT_WINDOW = 200;

  static boolean defective(int i) {
    return i >= BEFORE && i < BEFORE + RUN;
  }

  @Test
  void aDefectRunKeepsAlertingIsReportedAsDriftAndIsNotLearned(@TempDir Path dir) throws Exception {
    Path model = TinyBackbone.write(dir, "tiny.onnx");
    Path bank = dir.resolve("bank.twb");
    ProductLineSimulator line = new ProductLineSimulator(5, 64, 0.0);
    TinyBank.fit(model, bank, line);
    AvroSerdes<CameraFrame> serdes = AvroSerdes.forType(CameraFrame.class);
    List<CameraFrame> frames = new ArrayList<>(FRAMES);
    for (int i = 0; i < FRAMES; i++) {
      ProductLineSimulator.Defect d =
          !defective(i)
              ? null
              : i % 2 == 0
                  ? ProductLineSimulator.Defect.CRACK
                  : ProductLineSimulator.Defect.MISSING;
      frames.add(
          CameraFrame.newBuilder(
                  TestFrames.png(line.frame(10_000L + i, ProductLineSimulator.Variant.BRUSHED, d)))
              .setFrameId((d == null ? "normal-" : "defect-") + i)
              .build());
    }

    String suffix = Long.toString(System.nanoTime());
    String in = "frames-" + suffix;
    String alerts = "alerts-" + suffix;
    String scores = "scores-" + suffix;
    String dead = "dead-" + suffix;
    String control = "control-" + suffix;
    String statistics = "statistics-" + suffix;
    KAFKA.broker().createTopics(1, in, alerts, scores, dead, control, statistics);
    JobConfig config =
        TestJobs.config(
            KAFKA.broker().bootstrapServers(),
            "sustained-" + suffix,
            in,
            alerts,
            scores,
            dead,
            model,
            bank,
            "--topics.control",
            control,
            "--topics.statistics",
            statistics,
            "--alerts.heatmaps",
            "false",
            "--batch.max-size",
            "8",
            "--batch.max-wait",
            "20 ms",
            "--checkpoint.interval",
            "500 ms",
            "--job.parallelism",
            "1",
            "--threshold.adaptive",
            "true",
            "--threshold.false-alarm-rate",
            "0.02",
            "--drift.window",
            Integer.toString(DRIFT_WINDOW),
            "--statistics.interval",
            "1 s",
            "--bank-update.enabled",
            "true",
            "--bank-update.dir",
            dir.resolve("banks").toString(),
            "--bank-update.interval",
            "2 s");
    try (KafkaProducer<byte[], byte[]> p = KAFKA.broker().producer()) {
      for (CameraFrame f : frames) {
        p.send(
            new ProducerRecord<>(
                in, f.getFrameId().getBytes(StandardCharsets.UTF_8), serdes.encode(f)));
      }
    }
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    TailwatchJob.build(env, config);
    JobClient job = env.executeAsync("sustained-defect");
    List<FrameScore> all;
    List<ScoreStatistics> stats;
    try {
      all =
          new ArrayList<>(
              EmbeddedKafka.decode(
                  KAFKA.broker().readCommitted(scores, FRAMES, 300_000), FrameScore.class));
      all.sort(Comparator.comparingInt(SustainedDefectITCase::index));
      stats =
          EmbeddedKafka.decode(
              KAFKA.broker().readCommitted(statistics, Integer.MAX_VALUE, 2_000),
              ScoreStatistics.class);
    } finally {
      job.cancel().get(60, TimeUnit.SECONDS);
    }
    assertThat(all).extracting(FrameScore::getFrameId).doesNotHaveDuplicates().hasSize(FRAMES);

    long caught =
        all.subList(BEFORE, BEFORE + RUN).stream().filter(FrameScore::getAnomalous).count();
    double before = falseAlarms(all, BEFORE / 2, BEFORE);
    double after = falseAlarms(all, BEFORE + RUN + DRIFT_WINDOW, FRAMES);
    double thresholdBefore = all.get(BEFORE - 1).getThreshold();
    double thresholdAtEnd = all.get(BEFORE + RUN - 1).getThreshold();
    String summary =
        String.format(
            Locale.ROOT,
            "recall %d/%d, false alarms before %.4f after %.4f, threshold %.4f at frame 0, %.4f"
                + " before the run, %.4f at its end",
            caught,
            RUN,
            before,
            after,
            all.get(0).getThreshold(),
            thresholdBefore,
            thresholdAtEnd);
    System.out.println("sustained defect: " + summary);
    assertThat(before)
        .as("false alarms before the run near the target 0.02 (%s)", summary)
        .isLessThanOrEqualTo(0.05);
    assertThat(caught / (double) RUN).as("defect-run recall (%s)", summary).isGreaterThan(0.95);
    assertThat(thresholdAtEnd)
        .as("the run does not raise the threshold (%s)", summary)
        .isLessThanOrEqualTo(thresholdBefore * 1.02);
    assertThat(after)
        .as("false alarms after the run back near the target 0.02 (%s)", summary)
        .isLessThanOrEqualTo(0.05);
    List<ScoreStatistics> driftRecords =
        stats.stream().filter(ScoreStatistics::getDriftActive).toList();
    assertThat(driftRecords).as("a drift record on the statistics topic").isNotEmpty();
    ScoreStatistics onset =
        driftRecords.stream()
            .min(Comparator.comparingLong(ScoreStatistics::getCount))
            .orElseThrow();
    assertThat(onset.getDriftSince())
        .as("drift recognised early in the run")
        .isBetween((long) BEFORE, (long) BEFORE + DRIFT_WINDOW);
    assertThat(onset.getDriftShare()).isGreaterThan(0.1);
    assertThat(onset.getLineId()).isEqualTo("line-1");
    assertThat(stats)
        .as("the drift's end is published too")
        .anyMatch(s -> !s.getDriftActive() && s.getDriftEvents() == 1);
  }

  /** Alert rate of frames [from, to) (all normal there). */
  static double falseAlarms(List<FrameScore> all, int from, int to) {
    return all.subList(from, to).stream().filter(FrameScore::getAnomalous).count()
        / (double) (to - from);
  }

  static int index(FrameScore s) {
    String id = s.getFrameId();
    return Integer.parseInt(id.substring(id.indexOf('-') + 1));
  }
}
