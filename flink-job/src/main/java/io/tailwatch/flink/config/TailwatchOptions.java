package io.tailwatch.flink.config;

import java.time.Duration;
import java.util.List;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;

/**
 * Every setting of the job, typed, with its default and meaning. {@link JobConfig} validates them.
 */
public final class TailwatchOptions {
  private TailwatchOptions() {}

  public static final ConfigOption<String> BOOTSTRAP_SERVERS =
      ConfigOptions.key("kafka.bootstrap-servers")
          .stringType()
          .defaultValue("localhost:9092")
          .withDescription("Kafka bootstrap servers.");

  public static final ConfigOption<String> GROUP_ID =
      ConfigOptions.key("kafka.group-id")
          .stringType()
          .defaultValue("tailwatch")
          .withDescription("Consumer group of the frame source.");

  public static final ConfigOption<String> KAFKA_PROPERTIES_FILE =
      ConfigOptions.key("kafka.properties-file")
          .stringType()
          .noDefaultValue()
          .withDescription(
              "Java properties file of Kafka client settings (security.protocol, sasl.*, ssl.*) applied "
                  + "to the source and every sink; secrets in it are never logged.");

  public static final ConfigOption<String> STARTING_OFFSETS =
      ConfigOptions.key("kafka.starting-offsets")
          .stringType()
          .defaultValue("committed-or-earliest")
          .withDescription(
              "Where a job without a checkpoint starts: committed-or-earliest, earliest, latest, or "
                  + "timestamp:<epoch ms> (the first records written at or after that time).");

  public static final ConfigOption<Boolean> BOUNDED =
      ConfigOptions.key("kafka.bounded")
          .booleanType()
          .defaultValue(false)
          .withDescription(
              "Stop at the frame topic's end offsets as of job start (replays, tests, the short demo).");

  public static final ConfigOption<String> TRANSACTIONAL_ID_PREFIX =
      ConfigOptions.key("kafka.transactional-id-prefix")
          .stringType()
          .defaultValue("tailwatch")
          .withDescription("Prefix of the sinks' transactional ids; unique per job on a cluster.");

  public static final ConfigOption<Duration> TRANSACTION_TIMEOUT =
      ConfigOptions.key("kafka.transaction-timeout")
          .durationType()
          .defaultValue(Duration.ofMinutes(10))
          .withDescription(
              "Sink transaction timeout; must be below the broker's transaction.max.timeout.ms "
                  + "(15 min by default) and well above the checkpoint interval.");

  public static final ConfigOption<String> FRAMES_TOPIC =
      ConfigOptions.key("topics.frames")
          .stringType()
          .defaultValue("tailwatch.frames")
          .withDescription("Camera frames in (Avro CameraFrame).");

  public static final ConfigOption<String> ALERTS_TOPIC =
      ConfigOptions.key("topics.alerts")
          .stringType()
          .defaultValue("tailwatch.alerts")
          .withDescription("Alerts out (Avro Alert), anomalies only.");

  public static final ConfigOption<String> SCORES_TOPIC =
      ConfigOptions.key("topics.scores")
          .stringType()
          .defaultValue("tailwatch.scores")
          .withDescription("Every frame's verdict (Avro FrameScore); empty string turns it off.");

  public static final ConfigOption<String> DEAD_LETTERS_TOPIC =
      ConfigOptions.key("topics.dead-letters")
          .stringType()
          .defaultValue("tailwatch.dead-letters")
          .withDescription(
              "Records that could not be processed (Avro DeadLetter), with reason and raw bytes.");

  public static final ConfigOption<Integer> BATCH_MAX_SIZE =
      ConfigOptions.key("batch.max-size")
          .intType()
          .defaultValue(8)
          .withDescription("Frames per inference batch, at most.");

  public static final ConfigOption<Duration> BATCH_MAX_WAIT =
      ConfigOptions.key("batch.max-wait")
          .durationType()
          .defaultValue(Duration.ofMillis(50))
          .withDescription(
              "How long the first frame of a partial batch waits before the batch runs anyway.");

  public static final ConfigOption<Integer> INFERENCE_PARALLELISM =
      ConfigOptions.key("inference.parallelism")
          .intType()
          .defaultValue(0)
          .withDescription(
              "Parallelism of the inference stage (one detector session per subtask); 0 = "
                  + "job.parallelism. The inference stage is unkeyed, so one busy line uses every "
                  + "inference subtask.");

  public static final ConfigOption<String> INFERENCE_CUDA_DEVICE_IDS =
      ConfigOptions.key("inference.cuda.device-ids")
          .stringType()
          .defaultValue("")
          .withDescription(
              "CUDA device ids for the inference subtasks, comma-separated: subtask i opens its ONNX "
                  + "Runtime sessions on id[i mod count] (one GPU per task slot: a TaskManager with 4 "
                  + "slots and 4 GPUs takes 0,1,2,3). Empty: device 0. Ignored on the CPU.");

  public static final ConfigOption<Integer> INFERENCE_MAX_IN_FLIGHT =
      ConfigOptions.key("inference.max-in-flight-batches")
          .intType()
          .defaultValue(2)
          .withDescription(
              "Batches an inference subtask has queued or running on its worker thread at most "
                  + "(one running and one waiting by default); past it the subtask backpressures. "
                  + "Each holds up to batch.max-size decoded frames.");

  public static final ConfigOption<String> DEVICE =
      ConfigOptions.key("detector.device")
          .stringType()
          .defaultValue("auto")
          .withDescription(
              "auto (CUDA if ONNX Runtime has it, else CPU; logged), cpu, or cuda (fails if unavailable).");

  public static final ConfigOption<String> KNN_PRECISION =
      ConfigOptions.key("detector.knn-precision")
          .stringType()
          .defaultValue("fp32")
          .withDescription(
              "fp32 (exact kNN) or int8 (integer-GEMM candidates re-ranked with exact float distances; "
                  + "CPU execution provider only).");

  public static final ConfigOption<Integer> IVF_PROBES =
      ConfigOptions.key("detector.ivf-probes")
          .intType()
          .defaultValue(0)
          .withDescription(
              "A bank that carries an IVF index (fit --index ivf) is searched through this many nearest "
                  + "lists of each patch instead of exactly (0: exact search of every bank); set it to "
                  + "the probes fit calibrated with (16 by default: within 0.3 points of exact image "
                  + "AUROC on every measured class). A bank without an index is searched exactly; "
                  + "online bank updates rebuild the index.");

  public static final ConfigOption<String> PRECISION =
      ConfigOptions.key("detector.precision")
          .stringType()
          .defaultValue("fp32")
          .withDescription(
              "Backbone arithmetic: fp32, or fp16 (the float32 backbone converted to float16 at open, inputs "
                  + "and outputs stay float32; for CUDA; a quantised backbone is refused).");

  public static final ConfigOption<Integer> THREADS =
      ConfigOptions.key("detector.threads")
          .intType()
          .defaultValue(0)
          .withDescription("ONNX Runtime intra-op threads per session; 0 = its default.");

  public static final ConfigOption<String> BACKBONE =
      ConfigOptions.key("detector.backbone")
          .stringType()
          .noDefaultValue()
          .withDescription(
              "Backbone ONNX file with feature outputs (e.g. mobilenetv2-12-int8-features.onnx).");

  public static final ConfigOption<String> BANK =
      ConfigOptions.key("detector.bank")
          .stringType()
          .noDefaultValue()
          .withDescription("Memory bank file (.twb) fitted with that backbone.");

  public static final ConfigOption<Double> THRESHOLD =
      ConfigOptions.key("detector.threshold")
          .doubleType()
          .noDefaultValue()
          .withDescription(
              "Image score above which a frame is an anomaly. Without it, the bank's calibrated "
                  + "threshold (fit --calibration-holdout) is used; a bank without one is refused.");

  public static final ConfigOption<Boolean> REWEIGHT =
      ConfigOptions.key("detector.reweight")
          .booleanType()
          .defaultValue(false)
          .withDescription("PatchCore's b = 9 image-score reweighting.");

  public static final ConfigOption<Boolean> HEATMAPS =
      ConfigOptions.key("alerts.heatmaps")
          .booleanType()
          .defaultValue(true)
          .withDescription("Attach a heatmap overlay PNG to each alert.");

  public static final ConfigOption<io.tailwatch.flink.inference.HeatmapFormat> HEATMAP_FORMAT =
      ConfigOptions.key("alerts.heatmap.format")
          .enumType(io.tailwatch.flink.inference.HeatmapFormat.class)
          .defaultValue(io.tailwatch.flink.inference.HeatmapFormat.MAP)
          .withDescription(
              "MAP: the anomaly map as an 8-bit gray PNG (level v = heatmapLow + v/255 *"
                  + " (heatmapHigh - heatmapLow)); a 256-pixel map takes a few KiB and consumers can"
                  + " read the values; the viewer colours it. OVERLAY: jet colours blended over the"
                  + " frame as a 24-bit PNG, ready to show but about ten times larger.");

  public static final ConfigOption<Boolean> HEATMAP_FULL_RESOLUTION =
      ConfigOptions.key("alerts.heatmap.full-resolution")
          .booleanType()
          .defaultValue(false)
          .withDescription(
              "Also write each camera alert's anomaly map at the frame's resolution (16-bit gray"
                  + " PNG) under claim-check.root/heatmaps/ and put its URI and SHA-256 in the alert"
                  + " (heatmapFullUri, heatmapFullSha256); needs claim-check.root. A map that cannot"
                  + " be written is counted (heatmapWriteFailures) and the alert goes out without it.");

  public static final ConfigOption<Integer> HEATMAP_MAX_SIDE =
      ConfigOptions.key("alerts.heatmap.max-side")
          .intType()
          .defaultValue(256)
          .withDescription(
              "Longer side of an alert's heatmap in pixels: larger frames are scaled down for it (the alert "
                  + "keeps the frame's size, and its region boxes are in frame pixels), so an alert stays small "
                  + "whatever the frame size. In [16, 2048].");

  public static final ConfigOption<Integer> MAX_PAYLOAD_BYTES =
      ConfigOptions.key("limits.max-payload-bytes")
          .intType()
          .defaultValue(16 * 1024 * 1024)
          .withDescription(
              "Largest inline or claim-check payload accepted; larger ones are dead-lettered.");

  public static final ConfigOption<Integer> DEAD_LETTERS_MAX_PAYLOAD =
      ConfigOptions.key("dead-letters.max-payload-bytes")
          .intType()
          .defaultValue(64 * 1024)
          .withDescription(
              "Most bytes of a failed record's value a dead letter carries; a larger value is cut (the "
                  + "letter keeps its whole size and sha256, rawTruncated=true), so a dead letter always fits the "
                  + "producer's max.request.size (sink.max-request-size, checked at startup). At least 0.");

  public static final ConfigOption<Integer> SINK_MAX_REQUEST_SIZE =
      ConfigOptions.key("sink.max-request-size")
          .intType()
          .defaultValue(1024 * 1024)
          .withDescription(
              "The producers' max.request.size in bytes: the largest record the job may write (Kafka's"
                  + " default, 1 MiB; the brokers' message.max.bytes must allow it too). At startup the job"
                  + " refuses a configuration whose largest possible alert or dead letter would not fit,"
                  + " naming the keys to change (alerts.heatmap.max-side, dead-letters.max-payload-bytes).");

  public static final ConfigOption<Integer> MAX_PIXELS =
      ConfigOptions.key("limits.max-pixels")
          .intType()
          .defaultValue(16 * 1024 * 1024)
          .withDescription(
              "Largest frame accepted in pixels (width x height), checked against the record and"
                  + " the image header before any pixel is decoded. It bounds a frame's heap: an RGB"
                  + " frame of P pixels takes about 16 P bytes to decode and 20 P bytes to score"
                  + " on tiles (docs/operations.md, \"Frame memory\"); 16 Mi pixels by default (a"
                  + " 12-megapixel camera fits).");

  public static final ConfigOption<Integer> MAX_SIDE =
      ConfigOptions.key("limits.max-side")
          .intType()
          .defaultValue(8192)
          .withDescription("Largest frame width or height accepted.");

  public static final ConfigOption<String> CLAIM_CHECK_ROOT =
      ConfigOptions.key("claim-check.root")
          .stringType()
          .noDefaultValue()
          .withDescription(
              "Folder or URI that claim-check references must lie under: a local folder, or any"
                  + " scheme Flink's FileSystem has a plugin for (s3://bucket/frames,"
                  + " hdfs://namenode/frames, gs://...); references must use the same scheme and"
                  + " authority. Unset = claim checks refused.");

  public static final ConfigOption<Boolean> CLAIM_CHECK_REQUIRE_SHA256 =
      ConfigOptions.key("claim-check.require-sha256")
          .booleanType()
          .defaultValue(true)
          .withDescription(
              "Claim-check records must carry payloadSha256 (the object's SHA-256, which the job"
                  + " verifies as it reads); false also accepts records without one (a digest that"
                  + " is present is always verified).");

  public static final ConfigOption<Duration> CHECKPOINT_INTERVAL =
      ConfigOptions.key("checkpoint.interval")
          .durationType()
          .defaultValue(Duration.ofSeconds(10))
          .withDescription(
              "Checkpoint interval; alerts become visible to read_committed consumers at each checkpoint.");

  public static final ConfigOption<Integer> PARALLELISM =
      ConfigOptions.key("job.parallelism")
          .intType()
          .defaultValue(1)
          .withDescription(
              "Default parallelism of every stage (sources, inference unless inference.parallelism, decision, rendering).");

  public static final ConfigOption<String> JOB_NAME =
      ConfigOptions.key("job.name")
          .stringType()
          .defaultValue("tailwatch")
          .withDescription("Name shown in the Flink web UI.");

  public static final ConfigOption<String> STATISTICS_TOPIC =
      ConfigOptions.key("topics.statistics")
          .stringType()
          .defaultValue("")
          .withDescription(
              "Per-scope score statistics snapshots out (Avro ScoreStatistics) every statistics.interval; "
                  + "empty (default) = off.");

  public static final ConfigOption<String> STATUS_TOPIC =
      ConfigOptions.key("topics.status")
          .stringType()
          .defaultValue("")
          .withDescription(
              "Bank status out (Avro BankStatus): each inference subtask's bank in use at start and "
                  + "after every announcement, and every bank it refused, with the reason; empty "
                  + "(default) = off.");

  public static final ConfigOption<String> CONTROL_TOPIC =
      ConfigOptions.key("topics.control")
          .stringType()
          .defaultValue("")
          .withDescription(
              "Bank announcements (Avro BankUpdate): read by every scoring subtask (swap between batches) "
                  + "and written by the bank builder; announce an older version to roll back. It must"
                  + " exist with exactly one partition (announcements are ordered within a partition"
                  + " only): the job checks when it is built. Empty (default) = off.");

  public static final ConfigOption<Boolean> THRESHOLD_ADAPTIVE =
      ConfigOptions.key("threshold.adaptive")
          .booleanType()
          .defaultValue(false)
          .withDescription(
              "Per line, alert above the (1 - false-alarm-rate) quantile of the line's recent normal "
                  + "scores once threshold.min-frames were seen; before that (and when false) the fixed threshold: "
                  + "detector.threshold, else the bank's calibrated one.");

  public static final ConfigOption<Double> FALSE_ALARM_RATE =
      ConfigOptions.key("threshold.false-alarm-rate")
          .doubleType()
          .defaultValue(0.01)
          .withDescription("Target false-alarm rate alpha of the online threshold.");

  public static final ConfigOption<Integer> MIN_FRAMES =
      ConfigOptions.key("threshold.min-frames")
          .intType()
          .defaultValue(200)
          .withDescription(
              "Frames a line must have scored before its online threshold "
                  + "replaces the fixed one.");

  public static final ConfigOption<Double> THRESHOLD_MIN_FACTOR =
      ConfigOptions.key("threshold.min-factor")
          .doubleType()
          .defaultValue(0.5)
          .withDescription(
              "Floor of the online threshold: this factor x the calibrated threshold (detector.threshold, "
                  + "else the bank's). In (0, 1].");

  public static final ConfigOption<Double> THRESHOLD_MAX_FACTOR =
      ConfigOptions.key("threshold.max-factor")
          .doubleType()
          .defaultValue(2.0)
          .withDescription(
              "Ceiling of the online threshold: this factor x the calibrated threshold. Whatever the "
                  + "statistics see, a line's threshold never rises above it. In [1, 100].");

  public static final ConfigOption<Integer> DRIFT_WINDOW =
      ConfigOptions.key("drift.window")
          .intType()
          .defaultValue(500)
          .withDescription(
              "Frames over which a line's alert share is watched: above drift.alert-share the line is "
                  + "in drift (a drift record on topics.statistics, metric driftActive); it keeps alerting and its "
                  + "alerting frames stay out of the statistics until the share is back at half the limit.");

  public static final ConfigOption<Double> DRIFT_ALERT_SHARE =
      ConfigOptions.key("drift.alert-share")
          .doubleType()
          .defaultValue(0.1)
          .withDescription(
              "Share of alerting frames in drift.window above which a line is in drift; must exceed "
                  + "threshold.false-alarm-rate.");

  public static final ConfigOption<Integer> STATISTICS_HALF_LIFE =
      ConfigOptions.key("statistics.half-life")
          .intType()
          .defaultValue(2000)
          .withDescription(
              "Frames after which a score counts half in the line's statistics (exponential decay).");

  public static final ConfigOption<Double> OUTLIER_SIGMAS =
      ConfigOptions.key("statistics.outlier-sigmas")
          .doubleType()
          .defaultValue(8.0)
          .withDescription(
              "Scores above median + this many robust sigmas (the larger of 1.4826 MAD and "
                  + "(q90 - median) / 1.28) are kept out of the statistics (gross defects must not raise the first "
                  + "threshold; frames that alert once it is in force never enter).");

  public static final ConfigOption<String> STATISTICS_TARGET =
      ConfigOptions.key("statistics.target")
          .stringType()
          .defaultValue("quantile")
          .withDescription(
              "Target density p of the importance weights w = p/q: robust = N(median, (1.4826 MAD)^2) "
                  + "(ALGORITHMS.md §6), moment = N(mean, sd^2) of the line's recent scores (wider: up-weights a shoulder "
                  + "of rare normal scores further out), flat = uniform over the scores' range (w = 1/q: every sparse "
                  + "score region up-weighted, the far tail too; not §6's Gaussian, see docs/online-adaptation.md), quantile = the Gaussian "
                  + "with the line's median and (1 - alpha) quantile (its shoulder reaches the threshold: rare normal "
                  + "scores just below it are up-weighted, and so are faint defects that score there; see docs/online-adaptation.md).");

  public static final ConfigOption<Boolean> STATISTICS_PER_SOURCE =
      ConfigOptions.key("statistics.per-source")
          .booleanType()
          .defaultValue(false)
          .withDescription(
              "Keep statistics, thresholds and metrics per line x modality x source (camera or station) "
                  + "instead of per line x modality. Changing it changes the state keys: a restore starts the new scopes "
                  + "from scratch (bank floor until min-frames).");

  public static final ConfigOption<Double> WEIGHT_MIN =
      ConfigOptions.key("statistics.weight-min")
          .doubleType()
          .defaultValue(0.1)
          .withDescription("Lower clip of the importance weight p/q.");

  public static final ConfigOption<Double> WEIGHT_MAX =
      ConfigOptions.key("statistics.weight-max")
          .doubleType()
          .defaultValue(10.0)
          .withDescription("Upper clip of the importance weight p/q.");

  public static final ConfigOption<Duration> STATISTICS_INTERVAL =
      ConfigOptions.key("statistics.interval")
          .durationType()
          .defaultValue(Duration.ofSeconds(10))
          .withDescription("How often each line's statistics snapshot goes to topics.statistics.");

  public static final ConfigOption<Boolean> BANK_UPDATE_ENABLED =
      ConfigOptions.key("bank-update.enabled")
          .booleanType()
          .defaultValue(false)
          .withDescription(
              "Merge weighted samples of normal frames into new bank versions every bank-update.interval "
                  + "(needs topics.control and bank-update.dir).");

  public static final ConfigOption<String> BANK_UPDATE_DIR =
      ConfigOptions.key("bank-update.dir")
          .stringType()
          .noDefaultValue()
          .withDescription(
              "Folder the builder writes bank versions to; every task manager must read it (shared volume).");

  public static final ConfigOption<Duration> BANK_UPDATE_INTERVAL =
      ConfigOptions.key("bank-update.interval")
          .durationType()
          .defaultValue(Duration.ofMinutes(5))
          .withDescription("How often a new bank version is built.");

  public static final ConfigOption<Integer> BANK_UPDATE_SAMPLE =
      ConfigOptions.key("bank-update.sample-frames")
          .intType()
          .defaultValue(32)
          .withDescription(
              "Normal frames sampled per update (weighted reservoir per subtask, merged by key).");

  public static final ConfigOption<Integer> BANK_UPDATE_PATCHES =
      ConfigOptions.key("bank-update.patches-per-frame")
          .intType()
          .defaultValue(64)
          .withDescription(
              "Highest-scoring patch vectors a sampled frame contributes as candidates.");

  public static final ConfigOption<Integer> BANK_UPDATE_MAX_ADDED =
      ConfigOptions.key("bank-update.max-added")
          .intType()
          .defaultValue(1024)
          .withDescription("Vectors one update adds at most (greedy coreset order).");

  public static final ConfigOption<Integer> BANK_UPDATE_MAX_SIZE =
      ConfigOptions.key("bank-update.max-bank-size")
          .intType()
          .defaultValue(200_000)
          .withDescription(
              "Bank size cap; above it the union is reduced by approximate greedy coreset.");

  public static final ConfigOption<Double> BANK_UPDATE_RESOLUTION_QUANTILE =
      ConfigOptions.key("bank-update.resolution-quantile")
          .doubleType()
          .defaultValue(0.97)
          .withDescription(
              "A candidate patch within this quantile of the bank's nearest-neighbour spacing (squared) "
                  + "of the bank is covered and not added, in [0, 1]: the coreset's resolution is kept and an update "
                  + "adds what is new instead of densifying what is known; 0 = only exact copies are covered. The value "
                  + "is computed once from the bank and carried in each new version's header.");

  public static final ConfigOption<Double> BANK_UPDATE_WEIGHT_EXPONENT =
      ConfigOptions.key("bank-update.weight-exponent")
          .doubleType()
          .defaultValue(3.0)
          .withDescription(
              "With gaussian weighting, the reservoir priority weight is w(s) to this power, in (0, 4]: "
                  + "above 1 prefers what the weight favours more strongly (1 = as ALGORITHMS.md section 6; the tempering "
                  + "w^beta of section 3).");

  public static final ConfigOption<String> BANK_UPDATE_WEIGHTING =
      ConfigOptions.key("bank-update.weighting")
          .stringType()
          .defaultValue("gaussian")
          .withDescription(
              "gaussian: sample normal frames with priority u^(1/w(s)), w the Gaussian-aligned "
                  + "importance weight; uniform: w = 1 (the comparison baseline).");

  public static final ConfigOption<String> CUBES_TOPIC =
      ConfigOptions.key("topics.cubes")
          .stringType()
          .defaultValue("")
          .withDescription(
              "Hyperspectral cubes in (Avro HyperspectralCube); empty (default) = no cube chain. Cubes get "
                  + "their own source, validation and scoring chain; verdicts join the scores, alerts and dead-letter "
                  + "topics with modality HYPERSPECTRAL.");

  public static final ConfigOption<String> CUBE_DETECTOR =
      ConfigOptions.key("cube.detector")
          .stringType()
          .defaultValue("rx")
          .withDescription(
              "rx: global RX fitted on each cube itself (no model); local-rx: dual-window RX (21/7 "
                  + "pixels on 10 principal components) fitted on each cube; autoencoder: the ONNX model in cube.model "
                  + "(written by `tailwatch train`).");

  public static final ConfigOption<String> CUBE_MODEL =
      ConfigOptions.key("cube.model")
          .stringType()
          .noDefaultValue()
          .withDescription("The spectral autoencoder (.onnx) for cube.detector = autoencoder.");

  public static final ConfigOption<Double> CUBE_RX_RIDGE =
      ConfigOptions.key("cube.rx-ridge")
          .doubleType()
          .defaultValue(1e-4)
          .withDescription(
              "RX covariance shrinkage: C + ridge * trace(C)/B * I (0 = classic RX; may be singular).");

  public static final ConfigOption<Double> CUBE_THRESHOLD_SIGMAS =
      ConfigOptions.key("cube.threshold-sigmas")
          .doubleType()
          .defaultValue(10.0)
          .withDescription(
              "A pixel is anomalous above median + k * 1.4826 MAD of its cube's pixel scores.");

  public static final ConfigOption<Integer> CUBE_MIN_PIXELS =
      ConfigOptions.key("cube.min-anomalous-pixels")
          .intType()
          .defaultValue(1)
          .withDescription("Anomalous pixels a cube needs for an alert.");

  public static final ConfigOption<Integer> MAX_CUBE_PIXELS =
      ConfigOptions.key("limits.max-cube-pixels")
          .intType()
          .defaultValue(4 * 1024 * 1024)
          .withDescription("Largest lines x samples of a cube accepted.");

  public static final ConfigOption<Integer> MAX_BANDS =
      ConfigOptions.key("limits.max-bands")
          .intType()
          .defaultValue(1024)
          .withDescription("Most bands a cube may have.");

  public static List<ConfigOption<?>> all() {
    return List.of(
        BOOTSTRAP_SERVERS,
        GROUP_ID,
        KAFKA_PROPERTIES_FILE,
        STARTING_OFFSETS,
        BOUNDED,
        TRANSACTIONAL_ID_PREFIX,
        TRANSACTION_TIMEOUT,
        FRAMES_TOPIC,
        ALERTS_TOPIC,
        SCORES_TOPIC,
        DEAD_LETTERS_TOPIC,
        DEAD_LETTERS_MAX_PAYLOAD,
        BATCH_MAX_SIZE,
        BATCH_MAX_WAIT,
        INFERENCE_PARALLELISM,
        INFERENCE_MAX_IN_FLIGHT,
        INFERENCE_CUDA_DEVICE_IDS,
        DEVICE,
        KNN_PRECISION,
        IVF_PROBES,
        PRECISION,
        THREADS,
        BACKBONE,
        BANK,
        THRESHOLD,
        REWEIGHT,
        HEATMAPS,
        HEATMAP_MAX_SIDE,
        HEATMAP_FORMAT,
        HEATMAP_FULL_RESOLUTION,
        SINK_MAX_REQUEST_SIZE,
        MAX_PAYLOAD_BYTES,
        MAX_SIDE,
        MAX_PIXELS,
        CLAIM_CHECK_ROOT,
        CLAIM_CHECK_REQUIRE_SHA256,
        CHECKPOINT_INTERVAL,
        PARALLELISM,
        JOB_NAME,
        STATISTICS_TOPIC,
        STATUS_TOPIC,
        CONTROL_TOPIC,
        THRESHOLD_ADAPTIVE,
        FALSE_ALARM_RATE,
        MIN_FRAMES,
        THRESHOLD_MIN_FACTOR,
        THRESHOLD_MAX_FACTOR,
        DRIFT_WINDOW,
        DRIFT_ALERT_SHARE,
        STATISTICS_HALF_LIFE,
        OUTLIER_SIGMAS,
        STATISTICS_TARGET,
        STATISTICS_PER_SOURCE,
        WEIGHT_MIN,
        WEIGHT_MAX,
        STATISTICS_INTERVAL,
        BANK_UPDATE_ENABLED,
        BANK_UPDATE_DIR,
        BANK_UPDATE_INTERVAL,
        BANK_UPDATE_SAMPLE,
        BANK_UPDATE_PATCHES,
        BANK_UPDATE_MAX_ADDED,
        BANK_UPDATE_MAX_SIZE,
        BANK_UPDATE_WEIGHTING,
        BANK_UPDATE_WEIGHT_EXPONENT,
        BANK_UPDATE_RESOLUTION_QUANTILE,
        CUBES_TOPIC,
        CUBE_DETECTOR,
        CUBE_MODEL,
        CUBE_RX_RIDGE,
        CUBE_THRESHOLD_SIGMAS,
        CUBE_MIN_PIXELS,
        MAX_CUBE_PIXELS,
        MAX_BANDS);
  }
}
