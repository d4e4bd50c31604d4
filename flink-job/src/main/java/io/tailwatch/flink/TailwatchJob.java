package io.tailwatch.flink;

import static io.tailwatch.flink.config.TailwatchOptions.*;

import io.tailwatch.flink.config.JobConfig;
import io.tailwatch.flink.config.KafkaClientProperties;
import io.tailwatch.flink.inference.BatchingInferenceOperator;
import io.tailwatch.flink.inference.DetectorFactory;
import io.tailwatch.flink.inference.PatchCoreDetectorFactory;
import io.tailwatch.flink.ingest.CameraFrameDeserializer;
import io.tailwatch.flink.ingest.FrameLimits;
import io.tailwatch.flink.ingest.IngestRouter;
import io.tailwatch.flink.ingest.Ingested;
import io.tailwatch.flink.sink.AvroRecordSerializer;
import io.tailwatch.schemas.Alert;
import io.tailwatch.schemas.DeadLetter;
import io.tailwatch.schemas.FrameScore;
import java.util.Locale;
import org.apache.avro.specific.SpecificRecord;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.KafkaSourceBuilder;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.function.SerializableFunction;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;

/**
 * The streaming job. Only wiring: frames topic -> validation (dead letters) -> batching inference -> alerts,
 * scores and dead-letter topics, all exactly once. Run: {@code flink run tailwatch-flink-job.jar --config FILE}.
 */
public final class TailwatchJob {
  /** Operator uids: stable across versions so savepoints keep mapping onto the same operators. */
  public static final String UID_SOURCE = "tailwatch-frames-source";
  public static final String UID_ROUTER = "tailwatch-ingest-router";
  public static final String UID_INFERENCE = "tailwatch-batching-inference";
  public static final String UID_ALERTS_SINK = "tailwatch-alerts-sink";
  public static final String UID_SCORES_SINK = "tailwatch-scores-sink";
  public static final String UID_DEAD_LETTERS_SINK = "tailwatch-dead-letters-sink";

  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(TailwatchJob.class);

  private TailwatchJob() {}

  public static void main(String[] args) throws Exception {
    JobConfig config = JobConfig.fromArgs(args);
    LOG.info("tailwatch job configuration: {}", config);
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    build(env, config);
    env.execute(config.get(JOB_NAME));
  }

  /** Adds the pipeline to {@code env} with the detector the config names. */
  public static void build(StreamExecutionEnvironment env, JobConfig config) {
    build(env, config, new PatchCoreDetectorFactory(config.get(BACKBONE), config.get(BANK), config.get(DEVICE),
        config.get(THREADS), config.configuration().get(THRESHOLD), config.get(REWEIGHT)));
  }

  public static void build(StreamExecutionEnvironment env, JobConfig config, DetectorFactory detector) {
    env.enableCheckpointing(config.get(CHECKPOINT_INTERVAL).toMillis(), CheckpointingMode.EXACTLY_ONCE);
    env.setParallelism(config.get(PARALLELISM));
    FrameLimits limits = new FrameLimits(config.get(MAX_PAYLOAD_BYTES), config.get(MAX_SIDE),
        config.configuration().get(CLAIM_CHECK_ROOT));

    java.util.Properties client = KafkaClientProperties.load(config.configuration().get(KAFKA_PROPERTIES_FILE));
    if (!client.isEmpty()) {
      LOG.info("Kafka client settings from {}: {}", config.get(KAFKA_PROPERTIES_FILE),
          KafkaClientProperties.redacted(client));
    }
    KafkaSourceBuilder<Ingested> source = KafkaSource.<Ingested>builder()
        .setProperties(client)
        .setBootstrapServers(config.get(BOOTSTRAP_SERVERS))
        .setTopics(config.get(FRAMES_TOPIC))
        .setGroupId(config.get(GROUP_ID))
        .setStartingOffsets(startingOffsets(config.get(STARTING_OFFSETS)))
        .setDeserializer(new CameraFrameDeserializer(limits))
        .setProperty("isolation.level", "read_committed")
        .setProperty("commit.offsets.on.checkpoint", "true");
    if (config.get(BOUNDED)) {
      source.setBounded(OffsetsInitializer.latest());
    }
    DataStream<Ingested> ingested = env
        .fromSource(source.build(), WatermarkStrategy.noWatermarks(), "frames: " + config.get(FRAMES_TOPIC))
        .uid(UID_SOURCE);

    SingleOutputStreamOperator<Ingested> frames = ingested.process(new IngestRouter())
        .name("validate + route dead letters").uid(UID_ROUTER);

    SingleOutputStreamOperator<FrameScore> scored = frames
        .transform("batching inference", TypeInformation.of(FrameScore.class), new BatchingInferenceOperator(
            detector, limits, config.get(BATCH_MAX_SIZE), config.get(BATCH_MAX_WAIT).toMillis(),
            config.get(HEATMAPS)))
        .uid(UID_INFERENCE);

    String prefix = config.get(TRANSACTIONAL_ID_PREFIX);
    scored.getSideOutput(BatchingInferenceOperator.ALERTS)
        .sinkTo(sink(config, client, Alert.class, config.get(ALERTS_TOPIC), Alert::getLineId,
            prefix + "-alerts"))
        .name("alerts: " + config.get(ALERTS_TOPIC)).uid(UID_ALERTS_SINK);
    if (config.scoresTopic() != null) {
      scored.sinkTo(sink(config, client, FrameScore.class, config.scoresTopic(), FrameScore::getLineId,
          prefix + "-scores"))
          .name("scores: " + config.scoresTopic()).uid(UID_SCORES_SINK);
    }
    frames.getSideOutput(IngestRouter.DEAD_LETTERS)
        .union(scored.getSideOutput(IngestRouter.DEAD_LETTERS))
        .sinkTo(sink(config, client, DeadLetter.class, config.get(DEAD_LETTERS_TOPIC), DeadLetter::getOriginTopic,
            prefix + "-dead-letters"))
        .name("dead letters: " + config.get(DEAD_LETTERS_TOPIC)).uid(UID_DEAD_LETTERS_SINK);
  }

  static OffsetsInitializer startingOffsets(String mode) {
    if (mode.startsWith("timestamp:")) {
      return OffsetsInitializer.timestamp(Long.parseLong(mode.substring("timestamp:".length())));
    }
    return switch (mode.toLowerCase(Locale.ROOT)) {
      case "earliest" -> OffsetsInitializer.earliest();
      case "latest" -> OffsetsInitializer.latest();
      default -> OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST);
    };
  }

  private static <T extends SpecificRecord> KafkaSink<T> sink(JobConfig config, java.util.Properties client,
      Class<T> type, String topic, SerializableFunction<T, String> key, String transactionalIdPrefix) {
    java.util.Properties producer = new java.util.Properties();
    producer.putAll(client); // a copy per sink: the builder keeps and amends the object it is given
    return KafkaSink.<T>builder()
        // the producer config first: the builder replaces its properties with it
        .setKafkaProducerConfig(producer)
        .setBootstrapServers(config.get(BOOTSTRAP_SERVERS))
        .setRecordSerializer(new AvroRecordSerializer<>(type, topic, key))
        .setDeliveryGuarantee(DeliveryGuarantee.EXACTLY_ONCE)
        .setTransactionalIdPrefix(transactionalIdPrefix)
        .setProperty("transaction.timeout.ms", Long.toString(config.get(TRANSACTION_TIMEOUT).toMillis()))
        .build();
  }
}
