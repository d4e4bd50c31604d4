package io.tailwatch.tools;

import io.tailwatch.schemas.Alert;
import io.tailwatch.schemas.AvroSerdes;
import io.tailwatch.schemas.DeadLetter;
import io.tailwatch.schemas.FrameScore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * The demo's consumer: reads alerts, scores and dead letters written since the demo started
 * (read_committed, so exactly what the job committed), prints alerts as they arrive, and keeps what
 * the summary needs.
 */
final class DemoWatcher implements Runnable {
  /** What the summary needs of one scored frame. */
  record Scored(
      double score,
      boolean anomalous,
      long latencyMs,
      long visibleMs,
      String variant,
      boolean defective,
      long captureMs,
      long detectMs) {}

  private final String servers;
  private final String run;
  private final long since;
  private final String alertsTopic;
  private final String scoresTopic;
  private final String deadTopic;
  private final boolean quiet;
  final Map<String, Scored> scored = new ConcurrentHashMap<>();
  final AtomicLong duplicates = new AtomicLong();
  final AtomicLong alerts = new AtomicLong();
  final AtomicLong largestAlertBytes = new AtomicLong();
  final AtomicLong deadLetters = new AtomicLong();
  volatile boolean stopSending;
  private volatile boolean running = true;
  private volatile Throwable failure;

  DemoWatcher(
      String servers,
      String run,
      long since,
      String alertsTopic,
      String scoresTopic,
      String deadTopic,
      boolean quiet) {
    this.servers = servers;
    this.run = run;
    this.since = since;
    this.alertsTopic = alertsTopic;
    this.scoresTopic = scoresTopic;
    this.deadTopic = deadTopic;
    this.quiet = quiet;
  }

  @Override
  public void run() {
    Properties p = new Properties();
    p.put("bootstrap.servers", servers);
    p.put("isolation.level", "read_committed");
    p.put("enable.auto.commit", "false");
    p.put("key.deserializer", ByteArrayDeserializer.class.getName());
    p.put("value.deserializer", ByteArrayDeserializer.class.getName());
    p.put("max.partition.fetch.bytes", Integer.toString(16 * 1024 * 1024));
    AvroSerdes<Alert> alertSerdes = AvroSerdes.forType(Alert.class);
    AvroSerdes<FrameScore> scoreSerdes = AvroSerdes.forType(FrameScore.class);
    AvroSerdes<DeadLetter> deadSerdes = AvroSerdes.forType(DeadLetter.class);
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p)) {
      List<TopicPartition> partitions = new ArrayList<>();
      for (String topic : List.of(alertsTopic, scoresTopic, deadTopic)) {
        for (PartitionInfo info : consumer.partitionsFor(topic, Duration.ofSeconds(30))) {
          partitions.add(new TopicPartition(topic, info.partition()));
        }
      }
      consumer.assign(partitions);
      Map<TopicPartition, Long> times = new HashMap<>();
      partitions.forEach(tp -> times.put(tp, since));
      Map<TopicPartition, OffsetAndTimestamp> offsets = consumer.offsetsForTimes(times);
      for (TopicPartition tp : partitions) {
        OffsetAndTimestamp o = offsets.get(tp);
        if (o != null) {
          consumer.seek(tp, o.offset());
        } else {
          consumer.seekToEnd(List.of(tp));
        }
      }
      while (running) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          long now = System.currentTimeMillis();
          if (r.topic().equals(scoresTopic)) {
            FrameScore s = scoreSerdes.decode(r.value());
            if (!run.equals(s.getAttributes().get(FrameProducer.ATTR_RUN))) {
              continue;
            }
            Scored v =
                new Scored(
                    s.getScore(),
                    s.getAnomalous(),
                    s.getLatencyMs(),
                    now - s.getCaptureTime().toEpochMilli(),
                    s.getAttributes().get(FrameProducer.ATTR_VARIANT),
                    !"none".equals(s.getAttributes().get(FrameProducer.ATTR_DEFECT)),
                    s.getCaptureTime().toEpochMilli(),
                    s.getDetectTime().toEpochMilli());
            if (scored.put(s.getFrameId(), v) != null) {
              duplicates.incrementAndGet();
            }
          } else if (r.topic().equals(alertsTopic)) {
            Alert a = alertSerdes.decode(r.value());
            if (!a.getFrameId().startsWith(run + "-")) {
              continue;
            }
            alerts.incrementAndGet();
            largestAlertBytes.accumulateAndGet(r.value().length, Math::max);
            if (!quiet) {
              System.out.printf(
                  Locale.ROOT,
                  "ALERT %s %s score %.3f > %.3f (calibrated %.4f), %d region(s)%s, "
                      + "latency %d ms%n",
                  a.getFrameId(),
                  a.getLineId(),
                  a.getScore(),
                  a.getThreshold(),
                  a.getCalibratedScore(),
                  a.getRegions().size(),
                  a.getRegions().isEmpty()
                      ? ""
                      : " largest at "
                          + a.getRegions().get(0).getX()
                          + ","
                          + a.getRegions().get(0).getY()
                          + " "
                          + a.getRegions().get(0).getWidth()
                          + "x"
                          + a.getRegions().get(0).getHeight(),
                  a.getLatencyMs());
            }
          } else {
            DeadLetter d = deadSerdes.decode(r.value());
            if (d.getFailedAt().toEpochMilli() >= since) {
              deadLetters.incrementAndGet();
              if (!quiet) {
                System.out.println(
                    "DEAD LETTER "
                        + d.getOriginTopic()
                        + "/"
                        + d.getOriginPartition()
                        + "@"
                        + d.getOriginOffset()
                        + " "
                        + d.getReasonCode()
                        + ": "
                        + d.getReason());
              }
            }
          }
        }
      }
    } catch (Throwable t) {
      failure = t;
      System.err.println("demo: the alert consumer failed: " + t);
    }
  }

  /**
   * Waits until every sent frame is scored and every corrupt record dead-lettered, or the timeout
   * passes.
   */
  boolean awaitResults(long frames, long corrupt, Duration timeout) throws InterruptedException {
    long end = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < end && failure == null) {
      if (scored.size() >= frames && deadLetters.get() >= corrupt) {
        Thread.sleep(500); // a duplicate would show up right after
        return true;
      }
      Thread.sleep(100);
    }
    return false;
  }

  void stop() {
    running = false;
  }

  DemoSummary summary(long sent, long corrupt, boolean complete) {
    return DemoSummary.of(
        new ArrayList<>(scored.values()),
        sent,
        corrupt,
        duplicates.get(),
        alerts.get(),
        largestAlertBytes.get(),
        deadLetters.get(),
        complete);
  }
}
