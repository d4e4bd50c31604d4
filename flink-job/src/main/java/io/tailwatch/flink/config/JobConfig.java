package io.tailwatch.flink.config;

import static io.tailwatch.flink.config.TailwatchOptions.*;

import io.tailwatch.flink.ingest.ClaimChecks;
import io.tailwatch.flink.sink.RecordBudget;
import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.YamlParserUtils;

/**
 * The job's validated settings. Built from a YAML config file (read as Flink reads its config.yaml)
 * and {@code --key value} arguments, arguments winning. Every problem names its key, and unknown
 * keys are refused (a typo must not silently fall back to a default).
 */
public final class JobConfig implements Serializable {
  private static final long serialVersionUID = 1L;
  private static final Set<String> KNOWN =
      TailwatchOptions.all().stream()
          .map(ConfigOption::key)
          .collect(Collectors.toUnmodifiableSet());

  private final Map<String, String> values;
  private transient Configuration configuration;

  private JobConfig(Map<String, String> values) {
    this.values = Map.copyOf(values);
  }

  /** Parses {@code [--config FILE] [--key value | --key=value]...}. */
  public static JobConfig fromArgs(String... args) throws IOException {
    Map<String, String> file = new LinkedHashMap<>();
    Map<String, String> cli = new LinkedHashMap<>();
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      if (!arg.startsWith("--") || arg.length() == 2) {
        throw new InvalidConfigException("arguments", "expected --key value, got '" + arg + "'");
      }
      String key;
      String value;
      int eq = arg.indexOf('=');
      if (eq > 0) {
        key = arg.substring(2, eq);
        value = arg.substring(eq + 1);
      } else {
        key = arg.substring(2);
        if (i + 1 >= args.length) {
          throw new InvalidConfigException(key, "has no value");
        }
        value = args[++i];
      }
      if (key.equals("config")) {
        file.putAll(readFile(Path.of(value)));
      } else {
        cli.put(key, value);
      }
    }
    file.putAll(cli);
    return of(file);
  }

  public static JobConfig of(Map<String, String> values) {
    JobConfig config = new JobConfig(values);
    config.validate();
    return config;
  }

  /**
   * A YAML config file through Flink's own parser (the one that reads a cluster's config.yaml,
   * which also hides values from its error messages): flat keys ({@code kafka.group-id: x}) or
   * nested maps ({@code kafka:} / {@code group-id: x}), flattened with dots as Flink does.
   */
  static Map<String, String> readFile(Path path) throws IOException {
    if (!Files.isRegularFile(path)) {
      throw new InvalidConfigException("config", "file not found: " + path.toAbsolutePath());
    }
    Map<String, Object> yaml;
    try {
      yaml = YamlParserUtils.loadYamlFile(path.toFile());
    } catch (Exception e) {
      throw new InvalidConfigException("config", path + " is not valid YAML: " + e.getMessage());
    }
    Map<String, String> out = new LinkedHashMap<>();
    flatten(path, "", yaml == null ? Map.of() : yaml, out);
    return out;
  }

  private static void flatten(Path path, String prefix, Map<?, ?> map, Map<String, String> out) {
    for (Map.Entry<?, ?> e : map.entrySet()) {
      String key = prefix + e.getKey();
      Object value = e.getValue();
      if (value instanceof Map<?, ?> nested) {
        flatten(path, key + ".", nested, out);
      } else if (value instanceof List<?>) {
        throw new InvalidConfigException(key, "in " + path + " needs a single value, was a list");
      } else if (value == null) {
        out.put(
            key,
            ""); // "topics.scores:" with nothing after it: the empty string, as on the command line
      } else {
        out.put(key, String.valueOf(value));
      }
    }
  }

  /** Every check, one concern at a time; the first problem found is thrown, naming its key. */
  private void validate() {
    checkKeysAndTypes();
    checkKafka();
    checkBatchingAndDetector();
    checkRecordLimits();
    checkCheckpointing();
    checkAdaptation();
    checkCubes();
  }

  /** Unknown keys are refused (a typo must not fall back to a default); every value must parse. */
  private void checkKeysAndTypes() {
    for (String key : values.keySet()) {
      if (!KNOWN.contains(key)) {
        throw new InvalidConfigException(
            key,
            "is not a tailwatch option (known: "
                + KNOWN.stream().sorted().collect(Collectors.joining(", "))
                + ")");
      }
    }
    for (ConfigOption<?> option : TailwatchOptions.all()) {
      try {
        configuration().get(option);
      } catch (IllegalArgumentException e) {
        throw new InvalidConfigException(
            option.key(),
            "cannot be parsed: '" + values.get(option.key()) + "' (" + e.getMessage() + ")");
      }
    }
  }

  /** Brokers, topics, transactions, starting offsets and the client properties file. */
  private void checkKafka() {
    require(!get(BOOTSTRAP_SERVERS).isBlank(), BOOTSTRAP_SERVERS, "must not be empty");
    require(!get(FRAMES_TOPIC).isBlank(), FRAMES_TOPIC, "must not be empty");
    require(!get(ALERTS_TOPIC).isBlank(), ALERTS_TOPIC, "must not be empty");
    require(!get(DEAD_LETTERS_TOPIC).isBlank(), DEAD_LETTERS_TOPIC, "must not be empty");
    require(!get(TRANSACTIONAL_ID_PREFIX).isBlank(), TRANSACTIONAL_ID_PREFIX, "must not be empty");
    String offsets = get(STARTING_OFFSETS);
    require(
        Set.of("committed-or-earliest", "earliest", "latest").contains(offsets)
            || offsets.matches("timestamp:\\d{1,15}"),
        STARTING_OFFSETS,
        "must be committed-or-earliest, earliest, latest or timestamp:<epoch ms>, was '"
            + offsets
            + "'");
    String kafkaProperties = configuration().get(KAFKA_PROPERTIES_FILE);
    if (kafkaProperties != null) {
      KafkaClientProperties.load(
          kafkaProperties); // refuses an unreadable file or job-owned keys now, not at run
    }
  }

  /** Micro-batching, the ONNX Runtime device and precisions, the backbone and bank files. */
  private void checkBatchingAndDetector() {
    int batch = get(BATCH_MAX_SIZE);
    require(batch >= 1 && batch <= 1024, BATCH_MAX_SIZE, "must be in [1, 1024], was " + batch);
    Duration wait = get(BATCH_MAX_WAIT);
    require(
        !wait.isNegative() && wait.compareTo(Duration.ofMinutes(1)) <= 0,
        BATCH_MAX_WAIT,
        "must be in [0, 1 min], was " + wait);
    require(
        Set.of("auto", "cpu", "cuda").contains(get(DEVICE).toLowerCase(Locale.ROOT)),
        DEVICE,
        "must be auto, cpu or cuda, was '" + get(DEVICE) + "'");
    require(
        Set.of("fp32", "int8").contains(get(KNN_PRECISION).toLowerCase(Locale.ROOT)),
        KNN_PRECISION,
        "must be fp32 or int8, was '" + get(KNN_PRECISION) + "'");
    require(
        !(get(KNN_PRECISION).equalsIgnoreCase("int8") && get(DEVICE).equalsIgnoreCase("cuda")),
        KNN_PRECISION,
        "int8 runs on the CPU execution provider only; use fp32 with detector.device=cuda");
    cudaDeviceIds(); // throws naming the option
    require(
        get(IVF_PROBES) >= 0 && get(IVF_PROBES) <= 65536,
        IVF_PROBES,
        "must be in [0, 65536], was " + get(IVF_PROBES));
    require(
        Set.of("fp32", "fp16").contains(get(PRECISION).toLowerCase(Locale.ROOT)),
        PRECISION,
        "must be fp32 or fp16, was '" + get(PRECISION) + "'");
    require(
        get(THREADS) >= 0 && get(THREADS) <= 256,
        THREADS,
        "must be in [0, 256], was " + get(THREADS));
    requireFile(BACKBONE);
    requireFile(BANK);
    Double threshold = configuration().get(THRESHOLD);
    require(
        threshold == null || threshold > 0 && Double.isFinite(threshold),
        THRESHOLD,
        "must be a positive number, was " + threshold);
  }

  /** Payload and frame-size limits, the claim-check root. */
  private void checkRecordLimits() {
    int maxPayload = get(MAX_PAYLOAD_BYTES);
    require(maxPayload >= 1024, MAX_PAYLOAD_BYTES, "must be at least 1024, was " + maxPayload);
    require(
        get(MAX_SIDE) >= 16 && get(MAX_SIDE) <= 65536,
        MAX_SIDE,
        "must be in [16, 65536], was " + get(MAX_SIDE));
    require(
        !get(HEATMAP_FULL_RESOLUTION) || configuration().get(CLAIM_CHECK_ROOT) != null,
        HEATMAP_FULL_RESOLUTION,
        "needs claim-check.root (the maps are written under it)");
    require(
        get(MAX_PIXELS) >= 256 * 256,
        MAX_PIXELS,
        "must be at least 65536 (256 x 256), was " + get(MAX_PIXELS));
    String root = configuration().get(CLAIM_CHECK_ROOT);
    if (root != null) {
      java.net.URI uri;
      try {
        uri = ClaimChecks.rootUri(root);
      } catch (IllegalArgumentException e) {
        throw new InvalidConfigException(CLAIM_CHECK_ROOT.key(), "is not a folder or URI: " + root);
      }
      // other schemes are checked by their FileSystem plugin on the task managers, record by record
      require(
          !"file".equals(uri.getScheme()) || Files.isDirectory(Path.of(uri)),
          CLAIM_CHECK_ROOT,
          "is not a folder: " + root);
    }
  }

  /**
   * The largest record any sink may write, from the caps alone ({@link RecordBudget}), must fit the
   * producers' max.request.size: otherwise the first large alert or dead letter would fail the
   * transaction and restart the job in a loop.
   */
  private void checkRecordsFitTheProducer() {
    int max = get(SINK_MAX_REQUEST_SIZE);
    require(max >= 64 * 1024, SINK_MAX_REQUEST_SIZE, "must be at least 65536, was " + max);
    long alert = RecordBudget.alertBound(get(HEATMAPS), get(HEATMAP_MAX_SIDE), get(HEATMAP_FORMAT));
    require(
        alert <= max,
        SINK_MAX_REQUEST_SIZE,
        String.format(
            java.util.Locale.ROOT,
            "is %d bytes, but an alert can take up to %d with %s = %d: lower %s or raise %s (and the"
                + " brokers' message.max.bytes)",
            max,
            alert,
            HEATMAP_MAX_SIDE.key(),
            get(HEATMAP_MAX_SIDE),
            HEATMAP_MAX_SIDE.key(),
            SINK_MAX_REQUEST_SIZE.key()));
    long letter = RecordBudget.deadLetterBound(get(DEAD_LETTERS_MAX_PAYLOAD));
    require(
        letter <= max,
        SINK_MAX_REQUEST_SIZE,
        String.format(
            java.util.Locale.ROOT,
            "is %d bytes, but a dead letter can take up to %d with %s = %d: lower %s or raise %s (and"
                + " the brokers' message.max.bytes)",
            max,
            letter,
            DEAD_LETTERS_MAX_PAYLOAD.key(),
            get(DEAD_LETTERS_MAX_PAYLOAD),
            DEAD_LETTERS_MAX_PAYLOAD.key(),
            SINK_MAX_REQUEST_SIZE.key()));
  }

  /** Checkpoint interval against the sink transactions, parallelism. */
  private void checkCheckpointing() {
    Duration checkpoint = get(CHECKPOINT_INTERVAL);
    require(
        checkpoint.compareTo(Duration.ofMillis(100)) >= 0,
        CHECKPOINT_INTERVAL,
        "must be at least 100 ms, was " + checkpoint);
    require(
        get(TRANSACTION_TIMEOUT).compareTo(checkpoint.multipliedBy(2)) > 0,
        TRANSACTION_TIMEOUT,
        "must be more than twice checkpoint.interval ("
            + checkpoint
            + "), was "
            + get(TRANSACTION_TIMEOUT));
    require(
        get(TRANSACTION_TIMEOUT).compareTo(Duration.ofMinutes(15)) <= 0,
        TRANSACTION_TIMEOUT,
        "must not exceed the broker default transaction.max.timeout.ms (15 min), was "
            + get(TRANSACTION_TIMEOUT));
    require(
        get(HEATMAP_MAX_SIDE) >= 16 && get(HEATMAP_MAX_SIDE) <= 2048,
        HEATMAP_MAX_SIDE,
        "must be in [16, 2048] pixels, was " + get(HEATMAP_MAX_SIDE));
    require(
        get(DEAD_LETTERS_MAX_PAYLOAD) >= 0,
        DEAD_LETTERS_MAX_PAYLOAD,
        "must not be negative, was " + get(DEAD_LETTERS_MAX_PAYLOAD));
    checkRecordsFitTheProducer();
    require(
        get(PARALLELISM) >= 1 && get(PARALLELISM) <= 1024,
        PARALLELISM,
        "must be in [1, 1024], was " + get(PARALLELISM));
    require(
        get(INFERENCE_PARALLELISM) >= 0 && get(INFERENCE_PARALLELISM) <= 1024,
        INFERENCE_PARALLELISM,
        "must be in [0, 1024] (0 = job.parallelism), was " + get(INFERENCE_PARALLELISM));
    require(
        get(INFERENCE_MAX_IN_FLIGHT) >= 1 && get(INFERENCE_MAX_IN_FLIGHT) <= 64,
        INFERENCE_MAX_IN_FLIGHT,
        "must be in [1, 64], was " + get(INFERENCE_MAX_IN_FLIGHT));
  }

  /** The inference stage's parallelism: inference.parallelism, or job.parallelism when 0. */
  /** inference.cuda.device-ids as ids (empty: device 0 for every subtask). */
  public int[] cudaDeviceIds() {
    String raw = get(INFERENCE_CUDA_DEVICE_IDS).trim();
    if (raw.isEmpty()) {
      return new int[0];
    }
    String[] parts = raw.split(",");
    int[] ids = new int[parts.length];
    for (int i = 0; i < parts.length; i++) {
      try {
        ids[i] = Integer.parseInt(parts[i].trim());
      } catch (NumberFormatException e) {
        ids[i] = -1;
      }
      require(
          ids[i] >= 0,
          INFERENCE_CUDA_DEVICE_IDS,
          "must be comma-separated device ids >= 0, was '" + raw + "'");
    }
    return ids;
  }

  public int inferenceParallelism() {
    int p = get(INFERENCE_PARALLELISM);
    return p == 0 ? get(PARALLELISM) : p;
  }

  /** Online statistics, thresholds and bank updates. */
  private void checkAdaptation() {
    double far = get(FALSE_ALARM_RATE);
    require(far > 0 && far < 0.5, FALSE_ALARM_RATE, "must be in (0, 0.5), was " + far);
    require(get(MIN_FRAMES) >= 1, MIN_FRAMES, "must be at least 1, was " + get(MIN_FRAMES));
    double minFactor = get(THRESHOLD_MIN_FACTOR);
    require(
        minFactor > 0 && minFactor <= 1,
        THRESHOLD_MIN_FACTOR,
        "must be in (0, 1], was " + minFactor);
    double maxFactor = get(THRESHOLD_MAX_FACTOR);
    require(
        maxFactor >= 1 && maxFactor <= 100,
        THRESHOLD_MAX_FACTOR,
        "must be in [1, 100], was " + maxFactor);
    require(
        get(DRIFT_WINDOW) >= 10 && get(DRIFT_WINDOW) <= 100_000,
        DRIFT_WINDOW,
        "must be in [10, 100000] frames, was " + get(DRIFT_WINDOW));
    double share = get(DRIFT_ALERT_SHARE);
    require(
        share > far && share < 1,
        DRIFT_ALERT_SHARE,
        "must be in (threshold.false-alarm-rate " + far + ", 1), was " + share);
    require(
        get(STATISTICS_HALF_LIFE) >= 10,
        STATISTICS_HALF_LIFE,
        "must be at least 10 frames, was " + get(STATISTICS_HALF_LIFE));
    require(
        get(STATISTICS_INTERVAL).toMillis() >= 100,
        STATISTICS_INTERVAL,
        "must be at least 100 ms, was " + get(STATISTICS_INTERVAL));
    require(
        get(STATISTICS_TARGET).equals(get(STATISTICS_TARGET).toLowerCase(Locale.ROOT))
            && io.tailwatch.detector.stats.ScoreTarget.parse(get(STATISTICS_TARGET)) != null,
        STATISTICS_TARGET,
        "must be "
            + io.tailwatch.detector.stats.ScoreTarget.choices()
            + ", was '"
            + get(STATISTICS_TARGET)
            + "'");
    String exponentProblem =
        io.tailwatch.detector.online.OnlineDecision.exponentProblem(
            get(BANK_UPDATE_WEIGHT_EXPONENT));
    require(exponentProblem == null, BANK_UPDATE_WEIGHT_EXPONENT, exponentProblem);
    String resolutionProblem =
        io.tailwatch.detector.online.BankMerger.quantileProblem(
            get(BANK_UPDATE_RESOLUTION_QUANTILE));
    require(resolutionProblem == null, BANK_UPDATE_RESOLUTION_QUANTILE, resolutionProblem);
    require(
        Set.of("gaussian", "uniform").contains(get(BANK_UPDATE_WEIGHTING)),
        BANK_UPDATE_WEIGHTING,
        "must be gaussian or uniform, was '" + get(BANK_UPDATE_WEIGHTING) + "'");
    if (get(BANK_UPDATE_ENABLED)) {
      require(
          controlTopic() != null,
          CONTROL_TOPIC,
          "must be set when bank-update.enabled is true (new versions " + "are announced there)");
      String dir = configuration().get(BANK_UPDATE_DIR);
      require(
          dir != null && !dir.isBlank(),
          BANK_UPDATE_DIR,
          "must be set when bank-update.enabled is true");
      require(
          get(BANK_UPDATE_INTERVAL).compareTo(Duration.ofSeconds(1)) >= 0,
          BANK_UPDATE_INTERVAL,
          "must be at least 1 s, was " + get(BANK_UPDATE_INTERVAL));
      require(
          get(BANK_UPDATE_SAMPLE) >= 1 && get(BANK_UPDATE_SAMPLE) <= 4096,
          BANK_UPDATE_SAMPLE,
          "must be in [1, 4096], was " + get(BANK_UPDATE_SAMPLE));
      require(
          get(BANK_UPDATE_PATCHES) >= 1 && get(BANK_UPDATE_PATCHES) <= 65536,
          BANK_UPDATE_PATCHES,
          "must be in [1, 65536], was " + get(BANK_UPDATE_PATCHES));
      require(
          get(BANK_UPDATE_MAX_ADDED) >= 1,
          BANK_UPDATE_MAX_ADDED,
          "must be at least 1, was " + get(BANK_UPDATE_MAX_ADDED));
      require(
          get(BANK_UPDATE_MAX_SIZE) >= 1,
          BANK_UPDATE_MAX_SIZE,
          "must be at least 1, was " + get(BANK_UPDATE_MAX_SIZE));
    }
    try {
      adaptation();
    } catch (IllegalArgumentException e) {
      throw new InvalidConfigException(
          "statistics.weight-min/weight-max/outlier-sigmas", e.getMessage());
    }
  }

  /** The hyperspectral path. */
  private void checkCubes() {
    require(
        Set.of("rx", "local-rx", "autoencoder").contains(get(CUBE_DETECTOR)),
        CUBE_DETECTOR,
        "must be rx, local-rx or autoencoder, was '" + get(CUBE_DETECTOR) + "'");
    if (cubesTopic() != null && get(CUBE_DETECTOR).equals("autoencoder")) {
      String model = configuration().get(CUBE_MODEL);
      require(
          model != null && Files.isRegularFile(Path.of(model)),
          CUBE_MODEL,
          "must name the autoencoder .onnx file when cube.detector is autoencoder, was " + model);
    }
    double ridge = get(CUBE_RX_RIDGE);
    require(ridge >= 0 && ridge < 1, CUBE_RX_RIDGE, "must be in [0, 1), was " + ridge);
    double sigmas = get(CUBE_THRESHOLD_SIGMAS);
    require(
        sigmas > 0 && sigmas <= 1000, CUBE_THRESHOLD_SIGMAS, "must be in (0, 1000], was " + sigmas);
    require(
        get(CUBE_MIN_PIXELS) >= 1,
        CUBE_MIN_PIXELS,
        "must be at least 1, was " + get(CUBE_MIN_PIXELS));
    require(
        get(MAX_CUBE_PIXELS) >= 64,
        MAX_CUBE_PIXELS,
        "must be at least 64, was " + get(MAX_CUBE_PIXELS));
    require(
        get(MAX_BANDS) >= 2 && get(MAX_BANDS) <= 65536,
        MAX_BANDS,
        "must be in [2, 65536], was " + get(MAX_BANDS));
  }

  /**
   * Settings that are valid but work against each other; the job logs each at start (WARN). Not
   * errors: an operator may want them for a while (e.g. bank updates under the bank's threshold
   * while the online one is being checked).
   */
  public java.util.List<String> warnings() {
    java.util.List<String> out = new java.util.ArrayList<>();
    if (get(BANK_UPDATE_ENABLED) && !get(THRESHOLD_ADAPTIVE)) {
      out.add(
          "bank-update.enabled=true with threshold.adaptive=false: only frames below the bank's fixed threshold "
              + "are candidates, so a rare normal variant that alerts under it is hardly learned (replay, quantile "
              + "target, same streams: 1.3x fall against 10.5x with threshold.adaptive=true; docs/online-adaptation.md)");
    }
    return out;
  }

  /** The online statistics, threshold and bank-update settings. */
  public io.tailwatch.flink.adapt.Adaptation adaptation() {
    io.tailwatch.detector.online.OnlineScoreStatistics.Config stats =
        new io.tailwatch.detector.online.OnlineScoreStatistics.Config(
            io.tailwatch.detector.online.OnlineScoreStatistics.Config.DEFAULT_BINS,
            get(STATISTICS_HALF_LIFE),
            get(FALSE_ALARM_RATE),
            get(MIN_FRAMES),
            get(WEIGHT_MIN),
            get(WEIGHT_MAX),
            get(OUTLIER_SIGMAS),
            16,
            io.tailwatch.detector.stats.ScoreTarget.parse(get(STATISTICS_TARGET)),
            get(THRESHOLD_MIN_FACTOR),
            get(THRESHOLD_MAX_FACTOR),
            get(DRIFT_WINDOW),
            get(DRIFT_ALERT_SHARE));
    return new io.tailwatch.flink.adapt.Adaptation(
        stats,
        get(THRESHOLD_ADAPTIVE),
        statisticsTopic() == null ? 0 : get(STATISTICS_INTERVAL).toMillis(),
        get(BANK_UPDATE_ENABLED),
        "gaussian".equals(get(BANK_UPDATE_WEIGHTING)),
        get(BANK_UPDATE_SAMPLE),
        get(BANK_UPDATE_PATCHES),
        get(BANK_UPDATE_INTERVAL).toMillis(),
        get(BANK_UPDATE_WEIGHT_EXPONENT),
        get(STATISTICS_PER_SOURCE));
  }

  /** The cube topic, or null when the job has no cube chain. */
  public String cubesTopic() {
    return optionalTopic(CUBES_TOPIC);
  }

  /** The statistics topic, or null when off. */
  public String statisticsTopic() {
    return optionalTopic(STATISTICS_TOPIC);
  }

  /** The bank status topic, or null when off. */
  public String statusTopic() {
    return optionalTopic(STATUS_TOPIC);
  }

  /** The control topic, or null when off. */
  public String controlTopic() {
    return optionalTopic(CONTROL_TOPIC);
  }

  private String optionalTopic(ConfigOption<String> option) {
    String topic = get(option);
    return topic == null || topic.isBlank() ? null : topic;
  }

  private void requireFile(ConfigOption<String> option) {
    String value = configuration().get(option);
    require(value != null && !value.isBlank(), option, "is required");
    require(
        Files.isRegularFile(Path.of(value)),
        option,
        "file not found: " + Path.of(value).toAbsolutePath());
  }

  private static void require(boolean ok, ConfigOption<?> option, String message) {
    if (!ok) {
      throw new InvalidConfigException(option.key(), message);
    }
  }

  public Configuration configuration() {
    if (configuration == null) {
      configuration = Configuration.fromMap(values);
    }
    return configuration;
  }

  public <T> T get(ConfigOption<T> option) {
    return configuration().get(option);
  }

  public JobConfig with(ConfigOption<?> option, String value) {
    Map<String, String> copy = new LinkedHashMap<>(values);
    copy.put(option.key(), value);
    return of(copy);
  }

  public Map<String, String> values() {
    return values;
  }

  /** The scores topic, or null when turned off. */
  public String scoresTopic() {
    return optionalTopic(SCORES_TOPIC);
  }

  /** The settings, secrets masked (safe to log). */
  @Override
  public String toString() {
    return KafkaClientProperties.redacted(values).toString();
  }
}
