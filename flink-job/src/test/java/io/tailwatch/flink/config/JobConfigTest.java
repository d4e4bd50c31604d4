package io.tailwatch.flink.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JobConfigTest {
  @TempDir Path dir;
  String backbone;
  String bank;

  @BeforeEach
  void files() throws Exception {
    backbone = Files.writeString(dir.resolve("b.onnx"), "x").toString();
    bank = Files.writeString(dir.resolve("bank.twb"), "x").toString();
  }

  @Test
  void readsAFileAndLetsArgumentsWin() throws Exception {
    Path file =
        Files.writeString(
            dir.resolve("job.yaml"),
            String.join(
                "\n",
                "# comment",
                "kafka.bootstrap-servers: broker:9092",
                "batch.max-size: 16",
                "batch.max-wait: \"100 ms\"",
                "detector.backbone: " + backbone,
                "detector.bank: " + bank,
                ""));
    JobConfig c =
        JobConfig.fromArgs(
            "--config", file.toString(), "--batch.max-size", "4", "--topics.scores=");
    assertThat(c.get(TailwatchOptions.BOOTSTRAP_SERVERS)).isEqualTo("broker:9092");
    assertThat(c.get(TailwatchOptions.BATCH_MAX_SIZE)).isEqualTo(4);
    assertThat(c.get(TailwatchOptions.BATCH_MAX_WAIT)).isEqualTo(Duration.ofMillis(100));
    assertThat(c.get(TailwatchOptions.CHECKPOINT_INTERVAL)).isEqualTo(Duration.ofSeconds(10));
    assertThat(c.scoresTopic()).isNull();
  }

  @Test
  void readsNestedYamlAsFlinkFlattensIt() throws Exception {
    Path file =
        Files.writeString(
            dir.resolve("nested.yaml"),
            String.join(
                "\n",
                "kafka:",
                "  bootstrap-servers: nested:9092",
                "batch:",
                "  max-size: 12",
                "  max-wait: 20 ms",
                "detector:",
                "  backbone: " + backbone,
                "  bank: " + bank,
                "topics:",
                "  scores:",
                ""));
    JobConfig c = JobConfig.fromArgs("--config", file.toString());
    assertThat(c.get(TailwatchOptions.BOOTSTRAP_SERVERS)).isEqualTo("nested:9092");
    assertThat(c.get(TailwatchOptions.BATCH_MAX_SIZE)).isEqualTo(12);
    assertThat(c.get(TailwatchOptions.BATCH_MAX_WAIT)).isEqualTo(Duration.ofMillis(20));
    assertThat(c.scoresTopic()).isNull();
  }

  @Test
  void aBrokenYamlFileIsRefusedNamingTheFile() throws Exception {
    Path broken = Files.writeString(dir.resolve("broken.yaml"), "kafka.group-id: [unclosed\n");
    assertThatThrownBy(() -> JobConfig.fromArgs("--config", broken.toString()))
        .isInstanceOf(InvalidConfigException.class)
        .hasMessageStartingWith("config: " + broken + " is not valid YAML");
    Path list = Files.writeString(dir.resolve("list.yaml"), "kafka.group-id: [a, b]\n");
    assertThatThrownBy(() -> JobConfig.fromArgs("--config", list.toString()))
        .hasMessageStartingWith("kafka.group-id: in " + list + " needs a single value, was a list");
  }

  @Test
  void everyProblemNamesItsKey() throws Exception {
    assertThatThrownBy(() -> JobConfig.fromArgs("--detector.bank", bank))
        .isInstanceOf(InvalidConfigException.class)
        .hasMessageStartingWith("detector.backbone: is required");
    assertThatThrownBy(
            () ->
                JobConfig.fromArgs(
                    "--detector.backbone", backbone, "--detector.bank", bank + ".missing"))
        .hasMessageStartingWith("detector.bank: file not found");
    assertThatThrownBy(() -> args("--batch.max-size", "0"))
        .hasMessageStartingWith("batch.max-size: must be in [1, 1024]");
    assertThat(args("--inference.cuda.device-ids", "0, 1,3").cudaDeviceIds())
        .containsExactly(0, 1, 3);
    assertThat(args().cudaDeviceIds()).isEmpty();
    assertThatThrownBy(() -> args("--inference.cuda.device-ids", "0,gpu1"))
        .hasMessageStartingWith(
            "inference.cuda.device-ids: must be comma-separated device ids >= 0, was '0,gpu1'");
    assertThatThrownBy(() -> args("--detector.ivf-probes", "-1"))
        .hasMessageStartingWith("detector.ivf-probes: must be in [0, 65536], was -1");
    assertThatThrownBy(() -> args("--detector.knn-precision", "int4"))
        .hasMessageStartingWith("detector.knn-precision: must be fp32 or int8, was 'int4'");
    assertThatThrownBy(() -> args("--detector.knn-precision", "int8", "--detector.device", "cuda"))
        .hasMessageStartingWith(
            "detector.knn-precision: int8 runs on the CPU execution provider only");
    assertThatThrownBy(() -> args("--bank-update.weight-exponent", "0"))
        .hasMessageStartingWith("bank-update.weight-exponent: must be in (0, 4.0], was 0.0");
    assertThat(args("--bank-update.weight-exponent", "2").adaptation().weightExponent())
        .isEqualTo(2.0);
    assertThatThrownBy(() -> args("--bank-update.resolution-quantile", "1.5"))
        .hasMessageStartingWith("bank-update.resolution-quantile: must be in [0, 1], was 1.5");
    assertThatThrownBy(() -> args("--detector.precision", "bf16"))
        .hasMessageStartingWith("detector.precision: must be fp32 or fp16, was 'bf16'");
    assertThatThrownBy(() -> args("--batch.max-size", "lots"))
        .hasMessageStartingWith("batch.max-size: cannot be parsed");
    assertThatThrownBy(() -> args("--batch.max-sise", "4"))
        .hasMessageStartingWith("batch.max-sise: is not a tailwatch option");
    assertThatThrownBy(() -> args("--detector.device", "tpu"))
        .hasMessageStartingWith("detector.device: must be auto, cpu or cuda");
    assertThatThrownBy(() -> args("--kafka.transaction-timeout", "1 h"))
        .hasMessageStartingWith("kafka.transaction-timeout: must not exceed");
    assertThatThrownBy(() -> args("--checkpoint.interval", "8 min"))
        .hasMessageStartingWith(
            "kafka.transaction-timeout: must be more than twice checkpoint.interval");
    assertThatThrownBy(() -> args("--detector.threshold", "-1"))
        .hasMessageStartingWith("detector.threshold:");
    assertThatThrownBy(() -> args("--claim-check.root", dir.resolve("nope").toString()))
        .hasMessageStartingWith("claim-check.root: is not a folder");
    // other schemes are for the task managers' filesystem plugins to resolve
    assertThat(
            args("--claim-check.root", "s3://frames-bucket/line-1")
                .get(TailwatchOptions.CLAIM_CHECK_ROOT))
        .isEqualTo("s3://frames-bucket/line-1");
    assertThatThrownBy(() -> args("--alerts.heatmap.full-resolution", "true"))
        .hasMessageStartingWith("alerts.heatmap.full-resolution: needs claim-check.root");
    assertThatThrownBy(() -> args("--limits.max-pixels", "1000"))
        .hasMessageStartingWith("limits.max-pixels: must be at least 65536");
    assertThatThrownBy(() -> args("--claim-check.require-sha256", "maybe"))
        .hasMessageStartingWith("claim-check.require-sha256: cannot be parsed");
    assertThatThrownBy(() -> args("stray")).hasMessageContaining("expected --key value");
    assertThatThrownBy(() -> args("--batch.max-size"))
        .hasMessageStartingWith("batch.max-size: has no value");
    assertThatThrownBy(() -> args("--threshold.false-alarm-rate", "0.7"))
        .hasMessageStartingWith("threshold.false-alarm-rate: must be in (0, 0.5)");
    assertThatThrownBy(() -> args("--statistics.target", "mean"))
        .hasMessageStartingWith("statistics.target: must be robust, moment, flat or quantile");
    assertThatThrownBy(() -> args("--bank-update.enabled", "true"))
        .hasMessageStartingWith("topics.control: must be set when bank-update.enabled");
    assertThatThrownBy(() -> args("--bank-update.enabled", "true", "--topics.control", "c"))
        .hasMessageStartingWith("bank-update.dir: must be set");
    assertThatThrownBy(() -> args("--bank-update.weighting", "softmax"))
        .hasMessageStartingWith("bank-update.weighting: must be gaussian or uniform");
    assertThatThrownBy(() -> args("--statistics.weight-min", "2"))
        .hasMessageContaining("0 < min <= 1 <= max");
    assertThatThrownBy(() -> args("--cube.detector", "pca"))
        .hasMessageStartingWith("cube.detector: must be rx, local-rx or autoencoder");
    assertThatThrownBy(() -> args("--topics.cubes", "c", "--cube.detector", "autoencoder"))
        .hasMessageStartingWith("cube.model: must name the autoencoder .onnx file");
    assertThatThrownBy(() -> args("--cube.rx-ridge", "-1"))
        .hasMessageStartingWith("cube.rx-ridge: must be in [0, 1)");
    assertThatThrownBy(() -> args("--cube.threshold-sigmas", "0"))
        .hasMessageStartingWith("cube.threshold-sigmas: must be in (0, 1000]");
    assertThatThrownBy(() -> args("--limits.max-bands", "1"))
        .hasMessageStartingWith("limits.max-bands: must be in");
    assertThatThrownBy(() -> args("--limits.max-cube-pixels", "8"))
        .hasMessageStartingWith("limits.max-cube-pixels: must be at least 64");
  }

  @Test
  void aConfigurationWhoseLargestRecordWouldNotFitTheProducerIsRefused() throws Exception {
    // the defaults fit Kafka's 1 MiB request with room to spare
    assertThat(args().get(TailwatchOptions.SINK_MAX_REQUEST_SIZE)).isEqualTo(1024 * 1024);
    assertThat(
            io.tailwatch.flink.sink.RecordBudget.alertBound(
                true, 256, io.tailwatch.flink.inference.HeatmapFormat.OVERLAY))
        .isLessThan(400_000);
    // a 2048-pixel heatmap can be 4.2 MB (gray map; 12.6 MB as an overlay): refused, naming both
    // keys
    assertThatThrownBy(() -> args("--alerts.heatmap.max-side", "2048"))
        .hasMessageStartingWith("sink.max-request-size: is 1048576 bytes, but an alert can take")
        .hasMessageContaining("alerts.heatmap.max-side = 2048");
    // ... accepted when the producer may send it (and then told to the producers)
    assertThat(
            args("--alerts.heatmap.max-side", "2048", "--sink.max-request-size", "13000000")
                .get(TailwatchOptions.SINK_MAX_REQUEST_SIZE))
        .isEqualTo(13_000_000);
    // no heatmaps, no heatmap budget
    args("--alerts.heatmap.max-side", "2048", "--alerts.heatmaps", "false");
    assertThatThrownBy(() -> args("--dead-letters.max-payload-bytes", "1040000"))
        .hasMessageStartingWith("sink.max-request-size: is 1048576 bytes, but a dead letter")
        .hasMessageContaining("dead-letters.max-payload-bytes = 1040000");
    assertThatThrownBy(() -> args("--sink.max-request-size", "1000"))
        .hasMessageStartingWith("sink.max-request-size: must be at least 65536");
  }

  @Test
  void adaptationSettingsReachTheOperator() throws Exception {
    var a =
        args(
                "--threshold.false-alarm-rate",
                "0.05",
                "--statistics.target",
                "moment",
                "--bank-update.enabled",
                "true",
                "--topics.control",
                "ctl",
                "--bank-update.dir",
                dir.toString(),
                "--bank-update.weighting",
                "uniform",
                "--topics.statistics",
                "st")
            .adaptation();
    assertThat(a.statistics().falseAlarmRate()).isEqualTo(0.05);
    assertThat(a.statistics().target()).isEqualTo(io.tailwatch.detector.stats.ScoreTarget.MOMENT);
    assertThat(a.bankUpdates()).isTrue();
    assertThat(a.gaussianWeighting()).isFalse();
    assertThat(a.statisticsIntervalMs()).isEqualTo(10_000);
    assertThat(args().adaptation().statisticsIntervalMs())
        .as("no statistics topic, no snapshots")
        .isZero();
    assertThat(args("--statistics.target", "flat").adaptation().statistics().target())
        .isEqualTo(io.tailwatch.detector.stats.ScoreTarget.FLAT);
    // by default the target that up-weights rare normal scores just below the threshold, tempered
    // (docs/online-adaptation.md "Which target"); §6 as written stays one option away
    var defaults = args().adaptation();
    assertThat(defaults.statistics().target())
        .isEqualTo(io.tailwatch.detector.stats.ScoreTarget.QUANTILE);
    assertThat(defaults.weightExponent()).isEqualTo(3.0);
    assertThat(args("--statistics.target", "robust").adaptation().statistics().target())
        .isEqualTo(io.tailwatch.detector.stats.ScoreTarget.ROBUST);
    assertThat(args().get(TailwatchOptions.BANK_UPDATE_RESOLUTION_QUANTILE)).isEqualTo(0.97);
    assertThat(defaults.perSource()).as("scopes per line x modality by default").isFalse();
    assertThat(args("--statistics.per-source", "true").adaptation().perSource()).isTrue();
    assertThat(args().warnings()).isEmpty();
    assertThat(
            args(
                    "--bank-update.enabled",
                    "true",
                    "--topics.control",
                    "ctl",
                    "--bank-update.dir",
                    dir.toString())
                .warnings())
        .singleElement()
        .asString()
        .startsWith("bank-update.enabled=true with threshold.adaptive=false");
    assertThat(
            args(
                    "--bank-update.enabled",
                    "true",
                    "--topics.control",
                    "ctl",
                    "--bank-update.dir",
                    dir.toString(),
                    "--threshold.adaptive",
                    "true")
                .warnings())
        .isEmpty();
  }

  @Test
  void kafkaClientPropertiesPassThroughButNeverPrintTheirSecrets() throws Exception {
    Path props =
        Files.writeString(
            dir.resolve("kafka.properties"),
            String.join(
                "\n",
                "security.protocol=SASL_SSL",
                "sasl.mechanism=SCRAM-SHA-512",
                "sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username=\"u\" password=\"hunter2\";",
                "ssl.truststore.password=changeit",
                ""));
    JobConfig c = args("--kafka.properties-file", props.toString());
    java.util.Properties p =
        KafkaClientProperties.load(c.get(TailwatchOptions.KAFKA_PROPERTIES_FILE));
    assertThat(p.getProperty("sasl.mechanism")).isEqualTo("SCRAM-SHA-512");
    assertThat(p.getProperty("sasl.jaas.config")).contains("hunter2");
    assertThat(KafkaClientProperties.redacted(p).toString())
        .doesNotContain("hunter2")
        .doesNotContain("changeit")
        .contains("security.protocol=SASL_SSL");

    Path owned =
        Files.writeString(dir.resolve("owned.properties"), "isolation.level=read_uncommitted\n");
    assertThatThrownBy(() -> args("--kafka.properties-file", owned.toString()))
        .hasMessageStartingWith("kafka.properties-file:")
        .hasMessageContaining("'isolation.level'");
    assertThatThrownBy(() -> args("--kafka.properties-file", dir.resolve("none").toString()))
        .hasMessageStartingWith("kafka.properties-file: cannot read");
  }

  private JobConfig args(String... extra) throws Exception {
    String[] all = new String[extra.length + 4];
    all[0] = "--detector.backbone";
    all[1] = backbone;
    all[2] = "--detector.bank";
    all[3] = bank;
    System.arraycopy(extra, 0, all, 4, extra.length);
    return JobConfig.fromArgs(all);
  }
}
