package io.tailwatch.flink;

import static io.tailwatch.flink.config.TailwatchOptions.*;

import io.tailwatch.detector.knn.KnnPrecision;
import io.tailwatch.detector.onnx.ComputePrecision;
import io.tailwatch.flink.adapt.BankUpdateBuilder;
import io.tailwatch.flink.adapt.ScopeKey;
import io.tailwatch.flink.config.JobConfig;
import io.tailwatch.flink.config.KafkaClientProperties;
import io.tailwatch.flink.cube.CubeScorerFactory;
import io.tailwatch.flink.cube.CubeScoring;
import io.tailwatch.flink.decision.DecisionOperator;
import io.tailwatch.flink.inference.DetectorFactory;
import io.tailwatch.flink.inference.InferenceOperator;
import io.tailwatch.flink.inference.PatchCoreDetectorFactory;
import io.tailwatch.flink.inference.ScoredFrame;
import io.tailwatch.flink.ingest.BankUpdateDeserializer;
import io.tailwatch.flink.ingest.CameraFrameDeserializer;
import io.tailwatch.flink.ingest.CubeLimits;
import io.tailwatch.flink.ingest.FrameLimits;
import io.tailwatch.flink.ingest.HyperspectralCubeDeserializer;
import io.tailwatch.flink.ingest.IngestRouter;
import io.tailwatch.flink.ingest.Ingested;
import io.tailwatch.flink.render.AlertRenderer;
import io.tailwatch.flink.sink.AvroRecordSerializer;
import io.tailwatch.schemas.Alert;
import io.tailwatch.schemas.BankStatus;
import io.tailwatch.schemas.BankUpdate;
import io.tailwatch.schemas.DeadLetter;
import io.tailwatch.schemas.FrameScore;
import io.tailwatch.schemas.ScoreStatistics;
import java.time.Duration;
import java.util.Locale;
import org.apache.avro.specific.SpecificRecord;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.KafkaSourceBuilder;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.operators.TwoInputStreamOperator;
import org.apache.flink.util.function.SerializableFunction;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;

/**
 * The streaming job. Only wiring, stage by stage: frames topic -> ingest (validation, dead letters)
 * -> inference (unkeyed, inference.parallelism; micro-batches on a worker thread; bank swaps from
 * the control topic) -> decision (keyed by line x modality with online adaptation: statistics,
 * thresholds, drift, bank candidates) -> rendering (alert heatmaps) -> alerts, scores, statistics
 * and dead-letter topics, all exactly once. With bank updates, the candidates go to the bank
 * builder, whose announcements go to the control topic and from there back to every inference and
 * decision subtask. With topics.cubes, a second chain: cubes topic -> validation (dead letters) ->
 * cube scoring -> the same alerts, scores and dead-letter topics. Run: {@code flink run
 * tailwatch-flink-job.jar --config FILE}.
 */
public final class TailwatchJob {
  /** Operator uids: stable across versions so savepoints keep mapping onto the same operators. */
  public static final String UID_SOURCE = "tailwatch-frames-source";

  public static final String UID_ROUTER = "tailwatch-ingest-router";

  /** The inference stage (new with the stage split; its state: open batch, bank in use). */
  public static final String UID_INFERENCE = "tailwatch-inference";

  /**
   * The decision stage keeps the uid of the single scoring operator it was split from: that
   * operator's savepoints hold the score statistics (keyed) and bank candidates, which restore here
   * unchanged. (Its buffered frames are empty in any savepoint, as the batch is flushed before the
   * barrier; its bank reference is not carried over: the inference stage starts with the configured
   * bank until the next announcement.)
   */
  public static final String UID_DECISION = "tailwatch-batching-inference";

  public static final String UID_RENDER = "tailwatch-render-alerts";
  public static final String UID_ALERTS_SINK = "tailwatch-alerts-sink";
  public static final String UID_SCORES_SINK = "tailwatch-scores-sink";
  public static final String UID_DEAD_LETTERS_SINK = "tailwatch-dead-letters-sink";
  public static final String UID_DEAD_LETTER_CAP = "tailwatch-dead-letter-cap";
  public static final String UID_CONTROL_SOURCE = "tailwatch-control-source";
  public static final String UID_BANK_BUILDER = "tailwatch-bank-builder";
  public static final String UID_CONTROL_SINK = "tailwatch-control-sink";
  public static final String UID_STATISTICS_SINK = "tailwatch-statistics-sink";
  public static final String UID_STATUS_SINK = "tailwatch-status-sink";
  public static final String UID_CUBES_SOURCE = "tailwatch-cubes-source";
  public static final String UID_CUBE_ROUTER = "tailwatch-cube-router";
  public static final String UID_CUBE_SCORING = "tailwatch-cube-scoring";

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
    build(
        env,
        config,
        new PatchCoreDetectorFactory(
            config.get(BACKBONE),
            config.get(BANK),
            config.get(DEVICE),
            config.get(THREADS),
            config.configuration().get(THRESHOLD),
            config.get(REWEIGHT),
            KnnPrecision.parse(config.get(KNN_PRECISION)),
            ComputePrecision.parse(config.get(PRECISION)),
            config.get(IVF_PROBES)));
  }

  public static void build(
      StreamExecutionEnvironment env, JobConfig config, DetectorFactory detector) {
    env.enableCheckpointing(
        config.get(CHECKPOINT_INTERVAL).toMillis(), CheckpointingMode.EXACTLY_ONCE);
    env.setParallelism(config.get(PARALLELISM));
    FrameLimits limits =
        new FrameLimits(
            config.get(MAX_PAYLOAD_BYTES),
            config.get(MAX_SIDE),
            config.get(MAX_PIXELS),
            config.configuration().get(CLAIM_CHECK_ROOT),
            config.get(CLAIM_CHECK_REQUIRE_SHA256));

    config.warnings().forEach(w -> LOG.warn("tailwatch job configuration: {}", w));
    java.util.Properties client =
        KafkaClientProperties.load(config.configuration().get(KAFKA_PROPERTIES_FILE));
    if (!client.isEmpty()) {
      LOG.info(
          "Kafka client settings from {}: {}",
          config.get(KAFKA_PROPERTIES_FILE),
          KafkaClientProperties.redacted(client));
    }
    DataStream<Ingested> ingested =
        env.fromSource(
                source(
                    config,
                    client,
                    config.get(FRAMES_TOPIC),
                    config.get(GROUP_ID),
                    startingOffsets(config.get(STARTING_OFFSETS)),
                    new CameraFrameDeserializer(limits)),
                WatermarkStrategy.noWatermarks(),
                "frames: " + config.get(FRAMES_TOPIC))
            .uid(UID_SOURCE);

    SingleOutputStreamOperator<Ingested> frames =
        ingested.process(new IngestRouter()).name("validate + route dead letters").uid(UID_ROUTER);

    DataStream<BankUpdate> control = null;
    if (config.controlTopic() != null) {
      io.tailwatch.flink.adapt.ControlTopicCheck.requireSinglePartition(
          config.get(BOOTSTRAP_SERVERS), client, config.controlTopic(), 30_000);
      // a new job starts from the configured bank; announcements made before it are not replayed
      control =
          env.fromSource(
                  source(
                      config,
                      client,
                      config.controlTopic(),
                      config.get(GROUP_ID) + "-control",
                      OffsetsInitializer.committedOffsets(OffsetResetStrategy.LATEST),
                      new BankUpdateDeserializer()),
                  WatermarkStrategy.noWatermarks(),
                  "control: " + config.controlTopic())
              .uid(UID_CONTROL_SOURCE)
              .setParallelism(1);
    }

    // stage 2, inference: unkeyed, its own parallelism; bank announcements broadcast to it
    AlertRenderer renderer =
        new AlertRenderer(config.get(HEATMAPS), limits)
            .withHeatmapMaxSide(config.get(HEATMAP_MAX_SIDE))
            .withHeatmapFormat(config.get(HEATMAP_FORMAT))
            .withFullResolutionHeatmaps(
                config.get(HEATMAP_FULL_RESOLUTION)
                    ? config.configuration().get(CLAIM_CHECK_ROOT)
                    : null);
    InferenceOperator inference =
        new InferenceOperator(
                detector, limits, config.get(BATCH_MAX_SIZE), config.get(BATCH_MAX_WAIT).toMillis())
            .withMaxInFlight(config.get(INFERENCE_MAX_IN_FLIGHT))
            .withCudaDevices(config.cudaDeviceIds())
            .withBankCandidates(
                config.adaptation().bankUpdates() ? config.adaptation().patchesPerFrame() : 0)
            .withPixels(renderer.needsPixels());
    if (control != null) {
      inference.withBankAnnouncements();
    }
    DataStream<Ingested> toInference =
        config.inferenceParallelism() == config.get(PARALLELISM) ? frames : frames.rebalance();
    SingleOutputStreamOperator<ScoredFrame> scoredFrames =
        (control == null
                ? toInference.transform(
                    "inference",
                    TypeInformation.of(ScoredFrame.class),
                    (OneInputStreamOperator<Ingested, ScoredFrame>) inference)
                : toInference
                    .connect(control.broadcast())
                    .transform(
                        "inference",
                        TypeInformation.of(ScoredFrame.class),
                        (TwoInputStreamOperator<Ingested, BankUpdate, ScoredFrame>) inference))
            .setParallelism(config.inferenceParallelism())
            .uid(UID_INFERENCE);

    // stage 3, decision: keyed by line x modality (x source) with online adaptation, each scope's
    // statistics in keyed state; without it, unkeyed and chained to inference
    DecisionOperator decision = new DecisionOperator(config.adaptation());
    DataStream<ScoredFrame> byScope =
        config.adaptation().keyed()
            ? scoredFrames.keyBy(new ScopeKey(config.adaptation().perSource()))
            : scoredFrames;
    SingleOutputStreamOperator<FrameScore> scored =
        (control == null || !config.adaptation().keyed()
                ? byScope.transform(
                    "decision",
                    TypeInformation.of(FrameScore.class),
                    (OneInputStreamOperator<ScoredFrame, FrameScore>) decision)
                : byScope
                    .connect(control.broadcast())
                    .transform(
                        "decision",
                        TypeInformation.of(FrameScore.class),
                        (TwoInputStreamOperator<ScoredFrame, BankUpdate, FrameScore>) decision))
            .uid(UID_DECISION);
    if (!config.adaptation().keyed()) {
      scored.setParallelism(config.inferenceParallelism()); // chained to inference
    }

    // stage 4, rendering: heatmap PNGs and full-resolution maps, off the decision operator
    SingleOutputStreamOperator<Alert> rendered =
        scored
            .getSideOutput(DecisionOperator.TO_RENDER)
            .map(renderer)
            .name("render alerts")
            .uid(UID_RENDER);
    if (!config.adaptation().keyed()) {
      rendered.setParallelism(config.inferenceParallelism());
    }

    DataStream<Alert> alerts = rendered;
    DataStream<FrameScore> scores = scored;
    DataStream<DeadLetter> deadLetters =
        frames
            .getSideOutput(IngestRouter.DEAD_LETTERS)
            .union(scoredFrames.getSideOutput(IngestRouter.DEAD_LETTERS));
    if (config.cubesTopic() != null) {
      // cubes: their own source, validation and scoring chain; verdicts join the same output topics
      CubeLimits cubeLimits =
          new CubeLimits(
              config.get(MAX_PAYLOAD_BYTES),
              config.get(MAX_CUBE_PIXELS),
              config.get(MAX_BANDS),
              config.configuration().get(CLAIM_CHECK_ROOT),
              config.get(CLAIM_CHECK_REQUIRE_SHA256));
      SingleOutputStreamOperator<Ingested> cubes =
          env.fromSource(
                  source(
                      config,
                      client,
                      config.cubesTopic(),
                      config.get(GROUP_ID) + "-cubes",
                      startingOffsets(config.get(STARTING_OFFSETS)),
                      new HyperspectralCubeDeserializer(cubeLimits)),
                  WatermarkStrategy.noWatermarks(),
                  "cubes: " + config.cubesTopic())
              .uid(UID_CUBES_SOURCE)
              .process(new IngestRouter())
              .name("validate cubes + route dead letters")
              .uid(UID_CUBE_ROUTER);
      SingleOutputStreamOperator<FrameScore> cubeScores =
          cubes
              .process(
                  new CubeScoring(
                          new CubeScorerFactory(
                              config.get(CUBE_DETECTOR),
                              config.configuration().get(CUBE_MODEL),
                              config.get(CUBE_RX_RIDGE),
                              config.get(DEVICE),
                              config.get(THREADS)),
                          cubeLimits,
                          config.get(CUBE_THRESHOLD_SIGMAS),
                          config.get(CUBE_MIN_PIXELS),
                          config.get(HEATMAPS))
                      .withHeatmapMaxSide(config.get(HEATMAP_MAX_SIDE))
                      .withHeatmapFormat(config.get(HEATMAP_FORMAT)))
              .name("cube scoring")
              .uid(UID_CUBE_SCORING);
      alerts = alerts.union(cubeScores.getSideOutput(CubeScoring.ALERTS));
      scores = scores.union(cubeScores);
      deadLetters =
          deadLetters.union(
              cubes.getSideOutput(IngestRouter.DEAD_LETTERS),
              cubeScores.getSideOutput(IngestRouter.DEAD_LETTERS));
    }

    String prefix = config.get(TRANSACTIONAL_ID_PREFIX);
    alerts
        .sinkTo(
            sink(
                config,
                client,
                Alert.class,
                config.get(ALERTS_TOPIC),
                Alert::getLineId,
                prefix + "-alerts"))
        .name("alerts: " + config.get(ALERTS_TOPIC))
        .uid(UID_ALERTS_SINK);
    if (config.scoresTopic() != null) {
      scores
          .sinkTo(
              sink(
                  config,
                  client,
                  FrameScore.class,
                  config.scoresTopic(),
                  FrameScore::getLineId,
                  prefix + "-scores"))
          .name("scores: " + config.scoresTopic())
          .uid(UID_SCORES_SINK);
    }
    if (config.statisticsTopic() != null) {
      scored
          .getSideOutput(DecisionOperator.STATISTICS)
          .sinkTo(
              sink(
                  config,
                  client,
                  ScoreStatistics.class,
                  config.statisticsTopic(),
                  ScoreStatistics::getLineId,
                  prefix + "-statistics"))
          .name("statistics: " + config.statisticsTopic())
          .uid(UID_STATISTICS_SINK);
    }
    if (config.statusTopic() != null) {
      scoredFrames
          .getSideOutput(InferenceOperator.BANK_STATUS)
          .sinkTo(
              sink(
                  config,
                  client,
                  BankStatus.class,
                  config.statusTopic(),
                  BankStatus::getBankVersion,
                  prefix + "-status"))
          .name("status: " + config.statusTopic())
          .uid(UID_STATUS_SINK);
    }
    if (config.get(BANK_UPDATE_ENABLED)) {
      Duration interval = config.get(BANK_UPDATE_INTERVAL);
      scored
          .getSideOutput(DecisionOperator.CANDIDATES)
          .global()
          .connect(control.broadcast())
          .transform(
              "bank builder",
              TypeInformation.of(BankUpdate.class),
              new BankUpdateBuilder(
                  config.get(BANK),
                  config.get(BANK_UPDATE_DIR),
                  config.get(BANK_UPDATE_SAMPLE),
                  config.get(BANK_UPDATE_MAX_ADDED),
                  config.get(BANK_UPDATE_MAX_SIZE),
                  Math.min(2000, interval.toMillis() / 4),
                  config.get(BANK_UPDATE_WEIGHTING),
                  config.get(BANK_UPDATE_RESOLUTION_QUANTILE)))
          .setParallelism(1)
          .setMaxParallelism(1)
          .uid(UID_BANK_BUILDER)
          .sinkTo(
              sink(
                  config,
                  client,
                  BankUpdate.class,
                  config.controlTopic(),
                  BankUpdate::getBankVersion,
                  prefix + "-control"))
          .setParallelism(1)
          .name("control: " + config.controlTopic())
          .uid(UID_CONTROL_SINK);
    }
    deadLetters
        .map(new io.tailwatch.flink.sink.DeadLetterCap(config.get(DEAD_LETTERS_MAX_PAYLOAD)))
        .name("cap dead letters at " + config.get(DEAD_LETTERS_MAX_PAYLOAD) + " bytes")
        .uid(UID_DEAD_LETTER_CAP)
        .sinkTo(
            sink(
                config,
                client,
                DeadLetter.class,
                config.get(DEAD_LETTERS_TOPIC),
                DeadLetter::getOriginTopic,
                prefix + "-dead-letters"))
        .name("dead letters: " + config.get(DEAD_LETTERS_TOPIC))
        .uid(UID_DEAD_LETTERS_SINK);
  }

  /**
   * A read_committed source committing offsets on checkpoints, bounded at the end offsets with
   * kafka.bounded.
   */
  private static <T> KafkaSource<T> source(
      JobConfig config,
      java.util.Properties client,
      String topic,
      String groupId,
      OffsetsInitializer start,
      KafkaRecordDeserializationSchema<T> deserializer) {
    KafkaSourceBuilder<T> source =
        KafkaSource.<T>builder()
            .setProperties(client)
            .setBootstrapServers(config.get(BOOTSTRAP_SERVERS))
            .setTopics(topic)
            .setGroupId(groupId)
            .setStartingOffsets(start)
            .setDeserializer(deserializer)
            .setProperty("isolation.level", "read_committed")
            .setProperty("commit.offsets.on.checkpoint", "true");
    if (config.get(BOUNDED)) {
      source.setBounded(OffsetsInitializer.latest());
    }
    return source.build();
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

  private static <T extends SpecificRecord> KafkaSink<T> sink(
      JobConfig config,
      java.util.Properties client,
      Class<T> type,
      String topic,
      SerializableFunction<T, String> key,
      String transactionalIdPrefix) {
    java.util.Properties producer = new java.util.Properties();
    producer.putAll(client); // a copy per sink: the builder keeps and amends the object it is given
    return KafkaSink.<T>builder()
        // the producer config first: the builder replaces its properties with it
        .setKafkaProducerConfig(producer)
        .setBootstrapServers(config.get(BOOTSTRAP_SERVERS))
        .setRecordSerializer(new AvroRecordSerializer<>(type, topic, key))
        .setDeliveryGuarantee(DeliveryGuarantee.EXACTLY_ONCE)
        .setTransactionalIdPrefix(transactionalIdPrefix)
        .setProperty(
            "transaction.timeout.ms", Long.toString(config.get(TRANSACTION_TIMEOUT).toMillis()))
        // what JobConfig checked every record against (RecordBudget)
        .setProperty("max.request.size", Integer.toString(config.get(SINK_MAX_REQUEST_SIZE)))
        .build();
  }
}
