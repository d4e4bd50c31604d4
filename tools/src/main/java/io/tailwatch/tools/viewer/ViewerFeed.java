package io.tailwatch.tools.viewer;

import io.tailwatch.schemas.Alert;
import io.tailwatch.schemas.AvroDecodeException;
import io.tailwatch.schemas.AvroSerdes;
import io.tailwatch.schemas.FrameScore;
import io.tailwatch.schemas.ScoreStatistics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the alert, score and statistics topics ({@code read_committed}, so only what the job
 * committed) and hands each record, as a viewer event, to the {@link ViewerHub}. The viewer is a
 * bystander: it joins no consumer group's offsets (a fresh group id, no commits), so any number of
 * viewers can watch one job, and a record it cannot decode is counted and skipped, never fatal.
 */
public final class ViewerFeed implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ViewerFeed.class);

  private final KafkaConsumer<byte[], byte[]> consumer;
  private final String alertsTopic;
  private final String scoresTopic;
  private final String statisticsTopic;
  private final ViewerHub hub;
  private final AtomicBoolean running = new AtomicBoolean(true);
  private static final long DISCONNECTED_AFTER_MS = 3_000;
  private volatile long lastConnectedNanos; // 0 until the consumer first holds a connection
  private final AtomicLong undecodable = new AtomicLong();
  private final Thread thread;
  private final AvroSerdes<Alert> alerts = AvroSerdes.forType(Alert.class);
  private final AvroSerdes<FrameScore> scores = AvroSerdes.forType(FrameScore.class);
  private final AvroSerdes<ScoreStatistics> statistics = AvroSerdes.forType(ScoreStatistics.class);

  /**
   * @param client extra Kafka client settings (security), passed through
   * @param fromEarliest replay what the topics hold, else start at their end
   * @param scoresTopic null or blank: not read; likewise {@code statisticsTopic}
   */
  public ViewerFeed(
      String bootstrapServers,
      Properties client,
      String alertsTopic,
      String scoresTopic,
      String statisticsTopic,
      boolean fromEarliest,
      ViewerHub hub) {
    this.alertsTopic = alertsTopic;
    this.scoresTopic = blankToNull(scoresTopic);
    this.statisticsTopic = blankToNull(statisticsTopic);
    this.hub = hub;
    Properties p = new Properties();
    p.putAll(client);
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    p.put(ConsumerConfig.GROUP_ID_CONFIG, "tailwatch-viewer-" + UUID.randomUUID());
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, fromEarliest ? "earliest" : "latest");
    // topics the job has not created yet are picked up when they appear
    p.put(ConsumerConfig.METADATA_MAX_AGE_CONFIG, "5000");
    p.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, "false");
    consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    List<String> topics = new ArrayList<>();
    topics.add(alertsTopic);
    if (this.scoresTopic != null) {
      topics.add(this.scoresTopic);
    }
    if (this.statisticsTopic != null) {
      topics.add(this.statisticsTopic);
    }
    consumer.subscribe(topics);
    thread = new Thread(this::run, "viewer-feed");
    thread.setDaemon(true);
  }

  public ViewerFeed start() {
    thread.start();
    return this;
  }

  /** Records skipped because they did not decode as their topic's type. */
  public long undecodable() {
    return undecodable.get();
  }

  /**
   * Whether the consumer holds a connection to the cluster, or lost it less than {@value
   * #DISCONNECTED_AFTER_MS} ms ago (a reconnect in progress). False before the first connection.
   */
  public boolean brokerConnected() {
    long last = lastConnectedNanos;
    return last != 0 && System.nanoTime() - last < DISCONNECTED_AFTER_MS * 1_000_000L;
  }

  /**
   * The consumer's own connection count; read on the poll thread (KafkaConsumer is
   * single-threaded).
   */
  private void noteConnections() {
    for (var e : consumer.metrics().entrySet()) {
      if (e.getKey().name().equals("connection-count")
          && e.getKey().group().equals("consumer-metrics")
          && e.getValue().metricValue() instanceof Number n
          && n.doubleValue() > 0) {
        lastConnectedNanos = System.nanoTime();
        return;
      }
    }
  }

  private void run() {
    try {
      while (running.get()) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
          publish(r);
        }
        noteConnections();
      }
    } catch (WakeupException e) {
      if (running.get()) {
        throw e;
      }
    } catch (RuntimeException e) {
      LOG.error("viewer feed stopped", e);
    } finally {
      consumer.close(Duration.ofSeconds(2));
    }
  }

  private void publish(ConsumerRecord<byte[], byte[]> r) {
    if (r.value() == null) {
      return;
    }
    try {
      if (r.topic().equals(alertsTopic)) {
        hub.publish(ViewerEvents.ALERT, ViewerEvents.alert(alerts.decode(r.value())));
      } else if (r.topic().equals(scoresTopic)) {
        hub.publish(ViewerEvents.SCORE, ViewerEvents.score(scores.decode(r.value())));
      } else if (r.topic().equals(statisticsTopic)) {
        hub.publish(ViewerEvents.STATISTICS, ViewerEvents.statistics(statistics.decode(r.value())));
      }
    } catch (AvroDecodeException e) {
      if (undecodable.incrementAndGet() <= 10) {
        LOG.warn("skipping {}-{}@{}: {}", r.topic(), r.partition(), r.offset(), e.getMessage());
      }
    }
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s;
  }

  @Override
  public void close() throws InterruptedException {
    running.set(false);
    consumer.wakeup();
    thread.join(5000);
  }
}
