package io.tailwatch.tools;

import static io.tailwatch.flink.config.TailwatchOptions.*;

import io.tailwatch.detector.bank.CoresetMethod;
import io.tailwatch.detector.bank.PatchCoreFitter;
import io.tailwatch.detector.features.BackboneModel;
import io.tailwatch.detector.features.FeatureExtractor;
import io.tailwatch.detector.features.ModelStore;
import io.tailwatch.detector.features.PatchEmbeddingSpec;
import io.tailwatch.detector.image.ImageSource;
import io.tailwatch.detector.image.Preprocessing;
import io.tailwatch.detector.knn.OnnxKnnScorer;
import io.tailwatch.detector.onnx.ExecutionProvider;
import io.tailwatch.detector.sim.ProductLineSimulator;
import io.tailwatch.detector.sim.SimulatedFrame;
import io.tailwatch.flink.TailwatchJob;
import io.tailwatch.flink.config.JobConfig;
import io.tailwatch.flink.ingest.ClaimCheckWriter;
import io.tailwatch.kafka.LocalKafka;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code demo}: everything on one machine. An in-process Kafka broker (or an external one), a bank
 * fitted on simulated normal frames, the job on a local Flink cluster with its web UI, the
 * simulator, and a consumer that prints alerts as they arrive and a summary at the end.
 */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description =
        "Run the whole system locally: embedded Kafka, local Flink (web UI), simulator, alerts, summary.")
final class DemoCommand implements Callable<Integer> {
  @Option(
      names = "--frames",
      defaultValue = "600",
      description = "Frames to stream, then stop (0 = until Ctrl-C). Default: ${DEFAULT-VALUE}.")
  long frames;

  @Option(
      names = "--rate",
      defaultValue = "8",
      description = "Frames per second sent. Default: ${DEFAULT-VALUE}.")
  double rate;

  @Option(
      names = "--train",
      defaultValue = "150",
      description =
          "Normal frames to fit the bank on (20%% of them calibrate). Default: ${DEFAULT-VALUE}.")
  int train;

  @Option(
      names = "--size",
      defaultValue = "128",
      description = "Frame side in pixels. Default: ${DEFAULT-VALUE}.")
  int size;

  @Option(
      names = "--defect-rate",
      defaultValue = "0.15",
      description = "Default: ${DEFAULT-VALUE}.")
  double defectRate;

  @Option(
      names = "--corrupt-every",
      defaultValue = "50",
      description = "A corrupt record after every K frames (0 = none). Default: ${DEFAULT-VALUE}.")
  long corruptEvery;

  @Option(names = "--seed", defaultValue = "7")
  long seed;

  @Option(
      names = "--bootstrap-servers",
      description = "Use this Kafka instead of the embedded broker.")
  String bootstrapServers;

  @Option(
      names = "--web-ui-port",
      defaultValue = "8081",
      description = "Flink web UI port. Default: ${DEFAULT-VALUE}.")
  int webUiPort;

  @Option(
      names = "--bind-host",
      defaultValue = "127.0.0.1",
      description =
          "Address the Flink web UI, the cluster's other endpoints and the embedded Kafka broker listen"
              + " on. The default keeps them on this machine; another address of this machine opens"
              + " them to its network (job submission through the web UI stays off either way)."
              + " Default: ${DEFAULT-VALUE}.")
  String bindHost;

  @Option(
      names = "--prometheus-port",
      description =
          "Also serve the job's metrics for Prometheus on this port "
              + "(e.g. 9249, what deploy/prometheus scrapes). Default: off.")
  Integer prometheusPort;

  @Option(
      names = "--model-dir",
      description =
          "Backbone folder (default: $TAILWATCH_MODEL_DIR, else ~/.tailwatch/models; fetched if missing).")
  Path modelDir;

  @Option(
      names = "--device",
      defaultValue = "auto",
      description = "auto, cpu or cuda. Default: ${DEFAULT-VALUE}.")
  String device;

  @Option(
      names = "--batch",
      defaultValue = "8",
      description = "batch.max-size. Default: ${DEFAULT-VALUE}.")
  int batch;

  @Option(
      names = "--checkpoint-interval",
      defaultValue = "2s",
      description = "Alerts become visible at each checkpoint. Default: ${DEFAULT-VALUE}.")
  String checkpointInterval;

  @Option(
      names = "--timeout",
      defaultValue = "600",
      description =
          "Give up waiting for results after this many seconds past the last frame. Default: ${DEFAULT-VALUE}.")
  long timeoutSeconds;

  @Option(
      names = "--inline-limit",
      defaultValue = "" + FrameProducer.DEFAULT_INLINE_LIMIT,
      description =
          "Frames whose PNG is above this many bytes go by claim check (a file in the demo's"
              + " temporary folder, with its SHA-256) instead of inline. Default: ${DEFAULT-VALUE}.")
  int inlineLimit;

  @Option(names = "--quiet", description = "Do not print each alert.")
  boolean quiet;

  @Option(names = "--summary-json", description = "Also write the summary here.")
  Path summaryJson;

  @Override
  public Integer call() throws Exception {
    if (!(rate > 0) || frames < 0 || train < 10 || batch < 1) {
      throw new IllegalArgumentException(
          "need --rate > 0, --frames >= 0, --train >= 10, --batch >= 1");
    }
    String run = "demo-" + Long.toString(System.currentTimeMillis(), 36);
    Path work = Files.createTempDirectory("tailwatch-demo-");
    Path dir = ModelStore.modelDir(modelDir);
    Path backbone;
    try (ProgressBar bar = new ProgressBar("backbone")) {
      backbone = ModelStore.ensureBackbone(dir, ModelStore.ZOO_SOURCES, bar);
    }
    LocalKafka embedded = null;
    StreamExecutionEnvironment env = null;
    JobClient job = null;
    try {
      String servers = bootstrapServers;
      if (servers == null) {
        System.err.println("demo: starting an in-process Kafka broker (KRaft) ...");
        embedded = startBroker(bindHost);
        servers = embedded.bootstrapServers();
      }
      String framesTopic = "tailwatch.frames";
      String alertsTopic = "tailwatch.alerts";
      String scoresTopic = "tailwatch.scores";
      String deadTopic = "tailwatch.dead-letters";
      createTopics(servers, framesTopic, alertsTopic, scoresTopic, deadTopic);

      Path claimChecks = Files.createDirectories(work.resolve("claim-checks"));
      Path bank = work.resolve("bank.twb");
      fitBank(backbone, bank, run);

      long t0 = System.currentTimeMillis();
      JobConfig config =
          JobConfig.of(
              Map.ofEntries(
                  Map.entry(BOOTSTRAP_SERVERS.key(), servers),
                  Map.entry(GROUP_ID.key(), "tailwatch-" + run),
                  Map.entry(TRANSACTIONAL_ID_PREFIX.key(), "tailwatch-" + run),
                  Map.entry(STARTING_OFFSETS.key(), "timestamp:" + t0),
                  Map.entry(FRAMES_TOPIC.key(), framesTopic),
                  Map.entry(ALERTS_TOPIC.key(), alertsTopic),
                  Map.entry(SCORES_TOPIC.key(), scoresTopic),
                  Map.entry(DEAD_LETTERS_TOPIC.key(), deadTopic),
                  Map.entry(BACKBONE.key(), backbone.toString()),
                  Map.entry(BANK.key(), bank.toString()),
                  Map.entry(CLAIM_CHECK_ROOT.key(), claimChecks.toString()),
                  Map.entry(DEVICE.key(), device),
                  Map.entry(BATCH_MAX_SIZE.key(), Integer.toString(batch)),
                  Map.entry(CHECKPOINT_INTERVAL.key(), checkpointInterval),
                  Map.entry(JOB_NAME.key(), "tailwatch demo " + run)));
      Configuration flink = localClusterConfiguration(bindHost, webUiPort);
      if (prometheusPort != null) {
        PrometheusReporting.enable(flink, prometheusPort);
        System.err.println(
            "demo: Prometheus metrics on http://localhost:" + prometheusPort + "/metrics");
      }
      env = StreamExecutionEnvironment.createLocalEnvironmentWithWebUI(flink);
      TailwatchJob.build(env, config);
      job = env.executeAsync(config.get(JOB_NAME));
      System.err.println(
          "demo: job "
              + job.getJobID()
              + " submitted; Flink web UI on http://"
              + bindHost
              + ":"
              + webUiPort
              + "; Kafka at "
              + servers);
      awaitTasksRunning(job.getJobID().toString(), Duration.ofSeconds(120));

      DemoWatcher watcher =
          new DemoWatcher(servers, run, t0, alertsTopic, scoresTopic, deadTopic, quiet);
      Thread watch = new Thread(watcher, "demo-watcher");
      watch.setDaemon(true);
      watch.start();

      CountDownLatch stopped = new CountDownLatch(1);
      Thread hook =
          new Thread(
              () -> {
                watcher.stopSending = true;
                try {
                  stopped.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
              });
      Runtime.getRuntime().addShutdownHook(hook);
      long sent;
      long corrupt = 0;
      ProductLineSimulator line = new ProductLineSimulator(seed, size, defectRate);
      long start = System.nanoTime();
      System.err.printf(
          Locale.ROOT,
          "demo: frames above %d bytes go by claim check through %s%n",
          inlineLimit,
          claimChecks);
      long claimChecked;
      try (FrameProducer producer =
          new FrameProducer(
              servers, framesTopic, new ClaimCheckWriter(claimChecks.toString()), inlineLimit)) {
        for (sent = 0; (frames == 0 || sent < frames) && !watcher.stopSending; sent++) {
          long wait = start + (long) (sent * 1e9 / rate) - System.nanoTime();
          if (wait > 0) {
            Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
          }
          SimulatedFrame f = line.frame(1_000_000 + sent);
          producer.send(FrameProducer.simulated(f, run, "line-1", Instant.now()));
          if (corruptEvery > 0 && (sent + 1) % corruptEvery == 0) {
            producer.sendCorrupt(sent);
            corrupt++;
          }
        }
        producer.flush();
        claimChecked = producer.claimChecked();
      }
      double sendSeconds = (System.nanoTime() - start) / 1e9;
      System.err.printf(
          Locale.ROOT,
          "demo: sent %d frames (%d by claim check) and %d corrupt records in %.1f s; waiting for"
              + " the job%n",
          sent,
          claimChecked,
          corrupt,
          sendSeconds);
      boolean complete = watcher.awaitResults(sent, corrupt, Duration.ofSeconds(timeoutSeconds));
      watcher.stop();
      watch.join(5_000);
      DemoSummary summary = watcher.summary(sent, corrupt, complete);
      System.out.println(summary.render());
      System.out.println("log: " + logFile());
      if (summaryJson != null) {
        Files.writeString(summaryJson, summary.json());
      }
      stopped.countDown();
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException shuttingDown) {
        // Ctrl-C: the hook is running and waits for the summary above
      }
      return complete ? 0 : 1;
    } finally {
      if (job != null) {
        try {
          job.cancel().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
          System.err.println("demo: cancelling the job: " + e);
        }
      }
      if (env != null) {
        env.close();
      }
      if (embedded != null) {
        embedded.close();
      }
      deleteRecursively(work);
    }
  }

  /** Where the CLI's log4j configuration writes the full log. */
  static Path logFile() {
    String configured = System.getProperty("tailwatch.log.file");
    return configured != null
        ? Path.of(configured)
        : Path.of(System.getProperty("user.home"), ".tailwatch", "logs", "tailwatch.log");
  }

  /** The demo's temporary folder (bank, simulator output) goes when the demo does. */
  private static void deleteRecursively(Path dir) {
    try (java.util.stream.Stream<Path> s = Files.walk(dir)) {
      s.sorted(java.util.Comparator.reverseOrder())
          .forEach(
              p -> {
                try {
                  Files.deleteIfExists(p);
                } catch (java.io.IOException e) {
                  System.err.println("demo: could not remove " + p + ": " + e.getMessage());
                }
              });
    } catch (java.io.IOException e) {
      System.err.println("demo: could not remove " + dir + ": " + e.getMessage());
    }
  }

  private void fitBank(Path backboneFile, Path bankFile, String run) throws Exception {
    BackboneModel model = BackboneModel.load(backboneFile);
    PatchEmbeddingSpec spec =
        PatchEmbeddingSpec.defaults(model.layers(BackboneModel.DEFAULT_LAYERS));
    ProductLineSimulator normals = new ProductLineSimulator(seed, size, 0.0);
    List<ImageSource> images = new ArrayList<>();
    for (int i = 0; i < train; i++) {
      SimulatedFrame f = normals.frame(i);
      images.add(ImageSource.of("train-" + i, f.toFloatImage()));
    }
    List<List<ImageSource>> parts = BankBuilder.split(images, 0.2, seed);
    PatchCoreFitter.Options options =
        new PatchCoreFitter.Options(
            0.1, CoresetMethod.APPROXIMATE, 128, seed, 16, Preprocessing.DEFAULT);
    ExecutionProvider provider = ExecutionProvider.parse(device);
    try (FeatureExtractor extractor = FeatureExtractor.open(model, spec, provider, 0);
        OnnxKnnScorer knn = OnnxKnnScorer.open(provider, 0)) {
      System.err.printf(
          Locale.ROOT,
          "demo: fitting a bank on %d simulated normal frames (%d calibrate) on %s%n",
          parts.get(0).size(),
          parts.get(1).size(),
          extractor.provider());
      BankBuilder.Result r =
          BankBuilder.build(
              extractor, knn, options, parts.get(0), parts.get(1), 0.01, run + "-bank");
      r.bank().write(bankFile);
      System.err.printf(
          Locale.ROOT,
          "demo: bank of %,d patches (embedding %.1f s, coreset %.1f s), threshold %.4f%n",
          r.bank().count(),
          r.embedSeconds(),
          r.coresetSeconds(),
          r.calibration().threshold());
    }
  }

  /**
   * Frames sent before the tasks have opened their ONNX sessions would only measure start-up time.
   */
  private void awaitTasksRunning(String jobId, Duration timeout) throws Exception {
    java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
    String host = bindHost.equals("0.0.0.0") ? "127.0.0.1" : bindHost;
    java.net.URI uri = java.net.URI.create("http://" + host + ":" + webUiPort + "/jobs/" + jobId);
    com.fasterxml.jackson.databind.ObjectMapper json =
        new com.fasterxml.jackson.databind.ObjectMapper();
    long end = System.nanoTime() + timeout.toNanos();
    String last = "";
    while (System.nanoTime() < end) {
      try {
        String body =
            http.send(
                    java.net.http.HttpRequest.newBuilder(uri).GET().build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString())
                .body();
        com.fasterxml.jackson.databind.JsonNode vertices = json.readTree(body).path("vertices");
        boolean all = vertices.size() > 0;
        StringBuilder states = new StringBuilder();
        for (com.fasterxml.jackson.databind.JsonNode v : vertices) {
          all &= "RUNNING".equals(v.path("status").asText());
          states.append(v.path("status").asText()).append(' ');
        }
        last = states.toString().trim();
        if (all) {
          System.err.println("demo: all tasks running; starting the simulator");
          return;
        }
      } catch (java.io.IOException e) {
        last = e.toString();
      }
      Thread.sleep(200);
    }
    throw new IllegalStateException(
        "the job's tasks did not reach RUNNING within " + timeout + " (" + last + ")");
  }

  /**
   * The Kafka test kit prints its storage formatting to stdout; stdout is for alerts and the
   * summary.
   */
  /** The demo's broker: every listener on {@code bindHost} (127.0.0.1 unless asked otherwise). */
  static LocalKafka startBroker(String bindHost) throws Exception {
    return quietly(() -> LocalKafka.start(bindHost));
  }

  static <T> T quietly(java.util.concurrent.Callable<T> action) throws Exception {
    java.io.PrintStream out = System.out;
    System.setOut(new java.io.PrintStream(java.io.OutputStream.nullOutputStream()));
    try {
      return action.call();
    } finally {
      System.setOut(out);
    }
  }

  static void createTopics(String servers, String... topics) throws Exception {
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", servers))) {
      for (String t : topics) {
        try {
          admin
              .createTopics(List.of(new NewTopic(t, 2, (short) 1)))
              .all()
              .get(30, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
          if (!(e.getCause() instanceof TopicExistsException)) {
            throw e;
          }
        }
      }
    }
  }

  /**
   * The in-process Flink cluster's settings: the REST endpoint (web UI) and every other endpoint
   * the local cluster opens (RPC, blob server, the task manager's data port) bound to {@code host},
   * and no jar upload or job submission through the web UI (anyone reaching it could run code).
   */
  static Configuration localClusterConfiguration(String host, int webUiPort) {
    Configuration flink = new Configuration();
    flink.set(RestOptions.BIND_PORT, Integer.toString(webUiPort));
    flink.set(RestOptions.BIND_ADDRESS, host);
    flink.set(RestOptions.ADDRESS, host.equals("0.0.0.0") ? "127.0.0.1" : host);
    flink.set(org.apache.flink.configuration.WebOptions.SUBMIT_ENABLE, false);
    flink.set(org.apache.flink.configuration.WebOptions.CANCEL_ENABLE, false);
    // the dashboard's log tab shows the CLI's log file
    flink.set(org.apache.flink.configuration.WebOptions.LOG_PATH, logFile().toString());
    flink.set(org.apache.flink.configuration.JobManagerOptions.BIND_HOST, host);
    flink.set(org.apache.flink.configuration.TaskManagerOptions.BIND_HOST, host);
    flink.set(
        org.apache.flink.configuration.TaskManagerOptions.HOST,
        host.equals("0.0.0.0") ? "127.0.0.1" : host);
    return flink;
  }
}
