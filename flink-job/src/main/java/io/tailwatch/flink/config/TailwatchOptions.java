package io.tailwatch.flink.config;

import java.time.Duration;
import java.util.List;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;

/** Every setting of the job, typed, with its default and meaning. {@link JobConfig} validates them. */
public final class TailwatchOptions {
  private TailwatchOptions() {}

  public static final ConfigOption<String> BOOTSTRAP_SERVERS = ConfigOptions.key("kafka.bootstrap-servers")
      .stringType().defaultValue("localhost:9092").withDescription("Kafka bootstrap servers.");

  public static final ConfigOption<String> GROUP_ID = ConfigOptions.key("kafka.group-id")
      .stringType().defaultValue("tailwatch").withDescription("Consumer group of the frame source.");

  public static final ConfigOption<String> KAFKA_PROPERTIES_FILE = ConfigOptions.key("kafka.properties-file")
      .stringType().noDefaultValue()
      .withDescription("Java properties file of Kafka client settings (security.protocol, sasl.*, ssl.*) applied "
          + "to the source and every sink; secrets in it are never logged.");

  public static final ConfigOption<String> STARTING_OFFSETS = ConfigOptions.key("kafka.starting-offsets")
      .stringType().defaultValue("committed-or-earliest")
      .withDescription("Where a job without a checkpoint starts: committed-or-earliest, earliest, latest, or "
          + "timestamp:<epoch ms> (the first records written at or after that time).");

  public static final ConfigOption<Boolean> BOUNDED = ConfigOptions.key("kafka.bounded")
      .booleanType().defaultValue(false)
      .withDescription("Stop at the frame topic's end offsets as of job start (replays, tests, the short demo).");

  public static final ConfigOption<String> TRANSACTIONAL_ID_PREFIX = ConfigOptions
      .key("kafka.transactional-id-prefix").stringType().defaultValue("tailwatch")
      .withDescription("Prefix of the sinks' transactional ids; unique per job on a cluster.");

  public static final ConfigOption<Duration> TRANSACTION_TIMEOUT = ConfigOptions.key("kafka.transaction-timeout")
      .durationType().defaultValue(Duration.ofMinutes(10))
      .withDescription("Sink transaction timeout; must be below the broker's transaction.max.timeout.ms "
          + "(15 min by default) and well above the checkpoint interval.");

  public static final ConfigOption<String> FRAMES_TOPIC = ConfigOptions.key("topics.frames")
      .stringType().defaultValue("tailwatch.frames").withDescription("Camera frames in (Avro CameraFrame).");

  public static final ConfigOption<String> ALERTS_TOPIC = ConfigOptions.key("topics.alerts")
      .stringType().defaultValue("tailwatch.alerts").withDescription("Alerts out (Avro Alert), anomalies only.");

  public static final ConfigOption<String> SCORES_TOPIC = ConfigOptions.key("topics.scores")
      .stringType().defaultValue("tailwatch.scores")
      .withDescription("Every frame's verdict (Avro FrameScore); empty string turns it off.");

  public static final ConfigOption<String> DEAD_LETTERS_TOPIC = ConfigOptions.key("topics.dead-letters")
      .stringType().defaultValue("tailwatch.dead-letters")
      .withDescription("Records that could not be processed (Avro DeadLetter), with reason and raw bytes.");

  public static final ConfigOption<Integer> BATCH_MAX_SIZE = ConfigOptions.key("batch.max-size")
      .intType().defaultValue(8).withDescription("Frames per inference batch, at most.");

  public static final ConfigOption<Duration> BATCH_MAX_WAIT = ConfigOptions.key("batch.max-wait")
      .durationType().defaultValue(Duration.ofMillis(50))
      .withDescription("How long the first frame of a partial batch waits before the batch runs anyway.");

  public static final ConfigOption<String> DEVICE = ConfigOptions.key("detector.device")
      .stringType().defaultValue("auto")
      .withDescription("auto (CUDA if ONNX Runtime has it, else CPU; logged), cpu, or cuda (fails if unavailable).");

  public static final ConfigOption<Integer> THREADS = ConfigOptions.key("detector.threads")
      .intType().defaultValue(0).withDescription("ONNX Runtime intra-op threads per session; 0 = its default.");

  public static final ConfigOption<String> BACKBONE = ConfigOptions.key("detector.backbone")
      .stringType().noDefaultValue()
      .withDescription("Backbone ONNX file with feature outputs (e.g. mobilenetv2-12-int8-features.onnx).");

  public static final ConfigOption<String> BANK = ConfigOptions.key("detector.bank")
      .stringType().noDefaultValue().withDescription("Memory bank file (.twb) fitted with that backbone.");

  public static final ConfigOption<Double> THRESHOLD = ConfigOptions.key("detector.threshold")
      .doubleType().noDefaultValue()
      .withDescription("Image score above which a frame is an anomaly. Without it, the bank's calibrated "
          + "threshold (fit --calibration-holdout) is used; a bank without one is refused.");

  public static final ConfigOption<Boolean> REWEIGHT = ConfigOptions.key("detector.reweight")
      .booleanType().defaultValue(false).withDescription("PatchCore's b = 9 image-score reweighting.");

  public static final ConfigOption<Boolean> HEATMAPS = ConfigOptions.key("alerts.heatmaps")
      .booleanType().defaultValue(true).withDescription("Attach a heatmap overlay PNG to each alert.");

  public static final ConfigOption<Integer> MAX_PAYLOAD_BYTES = ConfigOptions.key("limits.max-payload-bytes")
      .intType().defaultValue(16 * 1024 * 1024)
      .withDescription("Largest inline or claim-check payload accepted; larger ones are dead-lettered.");

  public static final ConfigOption<Integer> MAX_SIDE = ConfigOptions.key("limits.max-side")
      .intType().defaultValue(8192).withDescription("Largest frame width or height accepted.");

  public static final ConfigOption<String> CLAIM_CHECK_ROOT = ConfigOptions.key("claim-check.root")
      .stringType().noDefaultValue()
      .withDescription("Folder that claim-check file: URIs must lie under; unset = claim checks refused.");

  public static final ConfigOption<Duration> CHECKPOINT_INTERVAL = ConfigOptions.key("checkpoint.interval")
      .durationType().defaultValue(Duration.ofSeconds(10))
      .withDescription("Checkpoint interval; alerts become visible to read_committed consumers at each checkpoint.");

  public static final ConfigOption<Integer> PARALLELISM = ConfigOptions.key("job.parallelism")
      .intType().defaultValue(1).withDescription("Parallelism of source and inference (one ONNX session per slot).");

  public static final ConfigOption<String> JOB_NAME = ConfigOptions.key("job.name")
      .stringType().defaultValue("tailwatch").withDescription("Name shown in the Flink web UI.");

  public static List<ConfigOption<?>> all() {
    return List.of(BOOTSTRAP_SERVERS, GROUP_ID, KAFKA_PROPERTIES_FILE, STARTING_OFFSETS, BOUNDED, TRANSACTIONAL_ID_PREFIX, TRANSACTION_TIMEOUT,
        FRAMES_TOPIC, ALERTS_TOPIC, SCORES_TOPIC, DEAD_LETTERS_TOPIC, BATCH_MAX_SIZE, BATCH_MAX_WAIT, DEVICE, THREADS,
        BACKBONE, BANK, THRESHOLD, REWEIGHT, HEATMAPS, MAX_PAYLOAD_BYTES, MAX_SIDE, CLAIM_CHECK_ROOT,
        CHECKPOINT_INTERVAL, PARALLELISM, JOB_NAME);
  }
}
