package io.tailwatch.tools;

import static io.tailwatch.flink.config.TailwatchOptions.*;

import io.tailwatch.detector.knn.KnnPrecision;
import io.tailwatch.detector.knn.OnnxKnnScorer;
import io.tailwatch.detector.sim.ProductLineSimulator;
import io.tailwatch.detector.stats.Quantiles;
import io.tailwatch.flink.TailwatchJob;
import io.tailwatch.flink.config.JobConfig;
import io.tailwatch.kafka.LocalKafka;
import io.tailwatch.schemas.AvroSerdes;
import io.tailwatch.schemas.CameraFrame;
import io.tailwatch.schemas.FrameScore;
import io.tailwatch.tools.bench.DetectorBenchmark;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code bench stream}: the streaming job end to end through Kafka (in-process broker, local
 * Flink), beside the bare detector on the same bank, batch size and threads, in one run: frames/s
 * at saturation (a backlog drained as fast as the job can), then processing latency (capture to
 * detection) at fractions of that rate, and optionally the heap over a bounded soak.
 */
@Command(
    name = "stream",
    mixinStandardHelpOptions = true,
    description = {
      "End-to-end frames/s of the job through Kafka at saturation and its latency p50/p99 at",
      "fractions of it, beside the bare detector's frames/s on the same bank and batch size."
    })
final class StreamBench implements Callable<Integer> {

  @Mixin BackboneOptions backbone;

  @Option(
      names = "--bank-size",
      defaultValue = "20000",
      description = "Bank vectors N. Default: ${DEFAULT-VALUE}.")
  int bankSize;

  @Option(
      names = "--batch",
      defaultValue = "8",
      description = "batch.max-size. Default: ${DEFAULT-VALUE}.")
  int batch;

  @Option(
      names = "--batch-wait-ms",
      defaultValue = "50",
      description = "batch.max-wait. Default: ${DEFAULT-VALUE}.")
  int batchWaitMs;

  @Option(
      names = "--size",
      defaultValue = "256",
      description = "Frame side in pixels. Default: ${DEFAULT-VALUE}.")
  int size;

  @Option(
      names = "--knn-precision",
      defaultValue = "fp32",
      description = "Default: ${DEFAULT-VALUE}.")
  String knnPrecision;

  @Option(
      names = "--saturation-frames",
      defaultValue = "400",
      description = "Backlog drained to measure saturation. Default: ${DEFAULT-VALUE}.")
  int saturationFrames;

  @Option(
      names = "--repeats",
      defaultValue = "3",
      description =
          "Measured backlogs per line count, each between two bare-detector runs; the table gives"
              + " the median ratio. Default: ${DEFAULT-VALUE}.")
  int repeats;

  @Option(
      names = "--warm-up-frames",
      defaultValue = "1500",
      description =
          "First backlog, drained before anything is measured: the JIT compiles the job's Flink,"
              + " Kafka and Avro paths while it runs (400 frames left the compiler busy through the"
              + " measured backlogs). Default: ${DEFAULT-VALUE}.")
  int warmUpFrames;

  @Option(
      names = "--loads",
      split = ",",
      defaultValue = "0.5,0.8",
      description =
          "Offered rates as fractions of the measured saturation. Default: ${DEFAULT-VALUE}.")
  double[] loads;

  @Option(
      names = "--load-seconds",
      defaultValue = "30",
      description = "Per load. Default: ${DEFAULT-VALUE}.")
  int loadSeconds;

  @Option(
      names = "--soak-seconds",
      defaultValue = "0",
      description =
          "Then run at the first load this long, sampling the heap after GC (0 = no soak). "
              + "Default: ${DEFAULT-VALUE}.")
  int soakSeconds;

  @Option(
      names = "--checkpoint-interval",
      defaultValue = "2s",
      description = "Default: ${DEFAULT-VALUE}.")
  String checkpointInterval;

  @Option(
      names = "--adaptation",
      defaultValue = "on",
      description =
          "on: online thresholds and statistics per line (keyed decision stage), as a line runs in"
              + " production; off: the bank's fixed threshold, no keyed stage. Default: ${DEFAULT-VALUE}.")
  String adaptation;

  @Option(
      names = "--lines",
      split = ",",
      defaultValue = "1,4",
      description =
          "Production lines the frames are spread over, one saturation run per count in the same"
              + " job (the load phases use the first). Default: ${DEFAULT-VALUE}.")
  int[] lines;

  @Option(
      names = "--parallelism",
      defaultValue = "1",
      description = "job.parallelism (and the inference stage's). Default: ${DEFAULT-VALUE}.")
  int parallelism;

  @Option(names = "--out", description = "Also write the markdown table here.")
  Path out;

  /**
   * One scored frame as the scores topic reports it, with the time this consumer saw it committed.
   */
  record Seen(long captureMs, long detectMs, long latencyMs, long visibleMs) {}

  @Override
  public Integer call() throws Exception {
    backbone.validate();
    KnnPrecision precision = KnnPrecision.parse(knnPrecision);
    if (bankSize < 1
        || batch < 1
        || batchWaitMs < 0
        || size < 64
        || saturationFrames < 4 * batch
        || warmUpFrames < 4 * batch
        || repeats < 1
        || loadSeconds < 1
        || soakSeconds < 0) {
      throw new IllegalArgumentException(
          "need --bank-size, --batch, --load-seconds >= 1, --batch-wait-ms >= 0, "
              + "--size >= 64, --saturation-frames and --warm-up-frames >= 4 x --batch, "
              + "--soak-seconds >= 0, --repeats >= 1");
    }
    if (!adaptation.equals("on") && !adaptation.equals("off")) {
      throw new IllegalArgumentException("--adaptation must be on or off, was " + adaptation);
    }
    if (parallelism < 1
        || lines.length == 0
        || java.util.Arrays.stream(lines).anyMatch(l -> l < 1)) {
      throw new IllegalArgumentException("--parallelism and every --lines count must be >= 1");
    }
    for (double l : loads) {
      if (!(l > 0 && l <= 1.5)) {
        throw new IllegalArgumentException("--loads must be in (0, 1.5], was " + l);
      }
    }
    String run = "bench-" + Long.toString(System.currentTimeMillis(), 36);
    Path work = Files.createTempDirectory("tailwatch-bench-stream-");
    Path bankFile = work.resolve("bank.twb");
    var model = backbone.loadBackbone(null);
    var spec = backbone.spec(model);
    DetectorBenchmark.Row bare;
    DetectorBenchmark bench;
    String provider;
    try (var extractor = backbone.openExtractor(model, spec);
        OnnxKnnScorer knn = OnnxKnnScorer.open(backbone.provider(), backbone.threads, precision);
        ProgressBar bar = new ProgressBar("bank")) {
      bench = DetectorBenchmark.prepare(extractor, bankSize, Math.max(8 * batch, 64), size, 7, bar);
      bench.bank().write(bankFile);
      bare = bench.measure(knn, batch, 2);
      provider = extractor.provider().toString();
    }
    System.err.printf(
        Locale.ROOT,
        "bench stream: bare detector %.1f frames/s at batch %d (%.1f ms per batch)%n",
        bare.detectorFps(),
        batch,
        bare.batchMillis());

    List<CameraFrame> templates = new ArrayList<>();
    ProductLineSimulator line = new ProductLineSimulator(11, size, 0.0);
    for (int i = 0; i < 64; i++) {
      templates.add(FrameProducer.simulated(line.frame(i), run, "line-1", Instant.EPOCH));
    }
    StringBuilder md = new StringBuilder();
    md.append(
        String.format(
            Locale.ROOT,
            "# Streaming job end to end: %s on %s, kNN %s, bank %,d x %d, batch %d "
                + "(wait %d ms), %d px PNG frames, parallelism %d, %s detector threads, online"
                + " adaptation %s, checkpoints every %s%n%n",
            model.id(),
            provider,
            precision.label(),
            bankSize,
            spec.targetDim(),
            batch,
            batchWaitMs,
            size,
            parallelism,
            backbone.threads == 0 ? "all" : backbone.threads,
            adaptation,
            checkpointInterval));
    LocalKafka kafka = DemoCommand.quietly(LocalKafka::start);
    StreamExecutionEnvironment env = null;
    JobClient job = null;
    ScoreReader reader = null;
    try {
      String servers = kafka.bootstrapServers();
      String frames = "bench.frames";
      String scores = "bench.scores";
      DemoCommand.createTopics(servers, frames, scores, "bench.alerts", "bench.dead-letters");
      long sent = 0;
      try (FrameProducer producer = new FrameProducer(servers, frames)) {
        for (; sent < warmUpFrames; sent++) {
          producer.send(frame(templates, run, sent, lines[0], Instant.now()));
        }
        producer.flush();
      }
      JobConfig config =
          JobConfig.of(
              Map.ofEntries(
                  Map.entry(BOOTSTRAP_SERVERS.key(), servers),
                  Map.entry(GROUP_ID.key(), "tailwatch-" + run),
                  Map.entry(TRANSACTIONAL_ID_PREFIX.key(), "tailwatch-" + run),
                  Map.entry(STARTING_OFFSETS.key(), "earliest"),
                  Map.entry(FRAMES_TOPIC.key(), frames),
                  Map.entry(ALERTS_TOPIC.key(), "bench.alerts"),
                  Map.entry(SCORES_TOPIC.key(), scores),
                  Map.entry(DEAD_LETTERS_TOPIC.key(), "bench.dead-letters"),
                  Map.entry(BACKBONE.key(), model.path().toString()),
                  Map.entry(BANK.key(), bankFile.toString()),
                  Map.entry(THRESHOLD.key(), "1e30"), // no alerts: every frame costs the same
                  Map.entry(DEVICE.key(), backbone.device),
                  Map.entry(THREADS.key(), Integer.toString(backbone.threads)),
                  Map.entry(KNN_PRECISION.key(), precision.label()),
                  Map.entry(
                      PRECISION.key(),
                      backbone.precision().name().toLowerCase(Locale.ROOT)), // the bare run's too
                  Map.entry(BATCH_MAX_SIZE.key(), Integer.toString(batch)),
                  Map.entry(BATCH_MAX_WAIT.key(), batchWaitMs + " ms"),
                  Map.entry(CHECKPOINT_INTERVAL.key(), checkpointInterval),
                  Map.entry(PARALLELISM.key(), Integer.toString(parallelism)),
                  Map.entry(THRESHOLD_ADAPTIVE.key(), Boolean.toString(adaptation.equals("on"))),
                  Map.entry(JOB_NAME.key(), "tailwatch " + run)));
      env = StreamExecutionEnvironment.createLocalEnvironment(parallelism, new Configuration());
      TailwatchJob.build(env, config);
      reader = new ScoreReader(servers, scores);
      Thread readerThread = new Thread(reader, "bench-score-reader");
      readerThread.setDaemon(true);
      readerThread.start();
      job = env.executeAsync(config.get(JOB_NAME));

      md.append("| measure | frames/s | vs bare detector | goal |\n|---|---|---|---|\n");
      md.append(
          String.format(
              Locale.ROOT,
              "| bare detector, batch %d (`PatchCoreDetector.detect`, same bank) "
                  + "| %.1f | 1.00x | |%n",
              batch,
              bare.detectorFps()));
      double saturation = Double.NaN;
      double[] perLines = new double[lines.length];
      measured = perLines;
      // the first backlog warms the job up (sessions, JIT, the keyed stage's first scopes): a
      // measured first backlog would favour whichever line count comes second
      double warmUp = drainRate(reader.await(warmUpFrames, Duration.ofMinutes(10)), 0);
      md.append(
          String.format(
              Locale.ROOT,
              "| job warm-up (first %,d-frame backlog, not a measure) | %.1f | %.2fx | |%n",
              warmUpFrames,
              warmUp,
              warmUp / bare.detectorFps()));
      // the machine's speed drifts over minutes (shared hosts: 12-60 frames/s for the same bare run
      // within one bench), so each backlog is compared with bare runs measured just before and just
      // after it while the job idles, repeated, and the median ratio is reported
      double bareBefore = bareFps(model, spec, bench, precision);
      for (int li = 0; li < lines.length; li++) {
        double[] rates = new double[repeats];
        double[] ratios = new double[repeats];
        StringBuilder each = new StringBuilder();
        for (int r = 0; r < repeats; r++) {
          // the next backlog, sent faster than the job drains it
          try (FrameProducer producer = new FrameProducer(servers, frames)) {
            for (long end = sent + saturationFrames; sent < end; sent++) {
              producer.send(frame(templates, run, sent, lines[li], Instant.now()));
            }
            producer.flush();
          }
          long allSent = System.currentTimeMillis();
          List<Seen> backlog = reader.await(saturationFrames, Duration.ofMinutes(10));
          rates[r] = drainRate(backlog, allSent);
          double bareAfter = bareFps(model, spec, bench, precision);
          ratios[r] = rates[r] / ((bareBefore + bareAfter) / 2);
          each.append(
              String.format(
                  Locale.ROOT,
                  "%s%.1f between %.1f and %.1f",
                  r == 0 ? "" : "; ",
                  rates[r],
                  bareBefore,
                  bareAfter));
          bareBefore = bareAfter;
        }
        perLines[li] = median(rates);
        if (li == 0) {
          saturation = perLines[0];
        }
        double ratio = median(ratios);
        md.append(
            String.format(
                Locale.ROOT,
                "| job at saturation, %d line(s): median of %d backlogs of %,d frames (job %s bare"
                    + " frames/s) | %.1f | %.2fx | >= 0.95x: %s |%n",
                lines[li],
                repeats,
                saturationFrames,
                each,
                perLines[li],
                ratio,
                ratio >= 0.95 ? "met" : "**not met**"));
      }
      for (int li = 1; li < lines.length; li++) {
        double r = perLines[0] / perLines[li];
        md.append(
            String.format(
                Locale.ROOT,
                "| %d line(s) / %d lines at saturation | | %.2fx | >= 0.90x: %s |%n",
                lines[0],
                lines[li],
                r,
                r >= 0.9 ? "met" : "**not met**"));
      }
      md.append('\n');

      double bound = batchWaitMs + 3 * bare.batchMillis();
      md.append(
          String.format(
              Locale.ROOT,
              "| offered load | frames/s offered | scored | processing latency p50 "
                  + "| p99 | p99 goal (wait + 3 x %.0f ms batch) | visible p50 (at commit) |%n|---|---|---|---|---|---|---|%n",
              bare.batchMillis()));
      try (FrameProducer producer = new FrameProducer(servers, frames)) {
        for (double load : loads) {
          double rate = load * saturation;
          List<Seen> seen =
              offer(producer, reader, templates, run, sent, lines[0], rate, loadSeconds);
          sent += seen.size();
          // the first 2 s settle after the previous phase
          List<Seen> steady =
              seen.stream()
                  .sorted((a, b) -> Long.compare(a.captureMs, b.captureMs))
                  .skip(Math.min(seen.size() / 2, (long) (2 * rate)))
                  .toList();
          long[] lat = steady.stream().mapToLong(Seen::latencyMs).sorted().toArray();
          long[] vis = steady.stream().mapToLong(Seen::visibleMs).sorted().toArray();
          double p99 = quantile(lat, 0.99);
          md.append(
              String.format(
                  Locale.ROOT,
                  "| %.0f%% | %.1f | %d | %.0f ms | %.0f ms | %.0f ms: %s | %.0f ms |%n",
                  100 * load,
                  rate,
                  seen.size(),
                  quantile(lat, 0.5),
                  p99,
                  bound,
                  p99 <= bound ? "met" : "**not met**",
                  quantile(vis, 0.5)));
        }
        if (soakSeconds > 0) {
          md.append(soak(producer, reader, templates, run, sent, lines[0], loads[0] * saturation));
        }
      }
      md.append(
          "\nProcessing latency = detect time - capture time (set by the producer at send) of each frame "
              + "on the scores topic; visible = when a read_committed consumer saw it (adds the exactly-once commit "
              + "at the next checkpoint). Saturation = scored frames/s over the drained backlog's detect times, "
              + "counting the frames scored after the benchmark's producer had sent the whole backlog (its "
              + "sending shares the cores with the job).\n");
    } finally {
      if (reader != null) {
        reader.stop();
      }
      if (job != null) {
        try {
          job.cancel().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
          System.err.println("bench stream: cancelling the job: " + e);
        }
      }
      if (env != null) {
        env.close();
      }
      kafka.close();
    }
    // the bare detector again, now that the job and the broker are gone: the machine's own drift
    // between the two bare runs says how far to trust the ratios above
    double after = bareFps(model, spec, bench, precision);
    md.append(
        String.format(
            Locale.ROOT,
            "%nBare detector after the job: %.1f frames/s (%.2fx the run before it); the job's"
                + " saturation against their mean: %s.%n",
            after,
            after / bare.detectorFps(),
            ratiosAgainst((bare.detectorFps() + after) / 2)));
    BenchCommand.printAndWrite(md.toString(), out);
    return 0;
  }

  /**
   * Sends at {@code rate} for {@code seconds} (capture time = send time) and waits for every score.
   */
  private static List<Seen> offer(
      FrameProducer producer,
      ScoreReader reader,
      List<CameraFrame> templates,
      String run,
      long first,
      int lines,
      double rate,
      double seconds)
      throws Exception {
    reader.drain();
    long count = Math.max(1, Math.round(rate * seconds));
    long start = System.nanoTime();
    for (long i = 0; i < count; i++) {
      long wait = start + (long) (i * 1e9 / rate) - System.nanoTime();
      if (wait > 0) {
        Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
      }
      producer.send(frame(templates, run, first + i, lines, Instant.now()));
    }
    producer.flush();
    return reader.await((int) count, Duration.ofMinutes(5));
  }

  /**
   * Runs at {@code rate} for the soak, in 30 s steps, sampling the heap after a full GC at each
   * step.
   */
  private String soak(
      FrameProducer producer,
      ScoreReader reader,
      List<CameraFrame> templates,
      String run,
      long first,
      int lines,
      double rate)
      throws Exception {
    var memory = ManagementFactory.getMemoryMXBean();
    List<Long> heap = new ArrayList<>();
    int steps = Math.max(1, soakSeconds / 30);
    long sent = first;
    System.gc();
    heap.add(memory.getHeapMemoryUsage().getUsed() >> 20);
    for (int s = 0; s < steps; s++) {
      sent +=
          offer(producer, reader, templates, run, sent, lines, rate, soakSeconds / (double) steps)
              .size();
      System.gc();
      heap.add(memory.getHeapMemoryUsage().getUsed() >> 20);
      System.err.printf(
          Locale.ROOT,
          "bench stream: soak %d/%d, heap after GC %d MiB%n",
          s + 1,
          steps,
          heap.get(heap.size() - 1));
    }
    long min = heap.stream().mapToLong(Long::longValue).min().orElse(0);
    long max = heap.stream().mapToLong(Long::longValue).max().orElse(0);
    return String.format(
        Locale.ROOT,
        "%nSoak: %d s at %.1f frames/s, %,d frames; heap used after GC (MiB, job and "
            + "broker in this JVM, max %d MiB) every %d s: %s; first half mean %.0f, second half mean %.0f, range "
            + "%d-%d.%n",
        soakSeconds,
        rate,
        sent - first,
        Runtime.getRuntime().maxMemory() >> 20,
        soakSeconds / steps,
        heap,
        mean(heap.subList(0, heap.size() / 2)),
        mean(heap.subList(heap.size() / 2, heap.size())),
        min,
        max);
  }

  private static double mean(List<Long> v) {
    return v.stream().mapToLong(Long::longValue).average().orElse(Double.NaN);
  }

  /** The saturation rates measured per line count, as ratios to {@code bareFps}. */
  private String ratiosAgainst(double bareFps) {
    StringBuilder sb = new StringBuilder();
    for (int li = 0; li < lines.length; li++) {
      sb.append(li == 0 ? "" : ", ")
          .append(
              String.format(Locale.ROOT, "%d line(s) %.2fx", lines[li], measured[li] / bareFps));
    }
    return sb.toString();
  }

  /**
   * The bare detector's frames/s on the benchmark's bank and frames, in sessions of its own (opened
   * and closed here, so they hold no threads while the job runs).
   */
  private double bareFps(
      io.tailwatch.detector.features.BackboneModel model,
      io.tailwatch.detector.features.PatchEmbeddingSpec spec,
      DetectorBenchmark bench,
      KnnPrecision precision)
      throws Exception {
    try (var extractor = backbone.openExtractor(model, spec);
        OnnxKnnScorer knn = OnnxKnnScorer.open(backbone.provider(), backbone.threads, precision)) {
      return bench.on(extractor).measure(knn, batch, 2).detectorFps();
    }
  }

  static double median(double[] values) {
    double[] sorted = values.clone();
    java.util.Arrays.sort(sorted);
    int n = sorted.length;
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }

  /** Saturation frames/s per --lines count, as measured. */
  private double[] measured = new double[0];

  /**
   * Frames/s over a drained backlog's detect times, from the end of its first batch on, counting
   * only what the job scored after {@code allSentMs}: while the benchmark's own producer is still
   * sending the backlog it takes CPU from the job on the same cores (a deployment's cameras do
   * not), so those frames are left out unless too few frames (under two batches) remain.
   */
  private double drainRate(List<Seen> backlog, long allSentMs) {
    long[] all = backlog.stream().mapToLong(Seen::detectMs).sorted().toArray();
    long[] after = java.util.Arrays.stream(all).filter(t -> t >= allSentMs).toArray();
    long[] detect = after.length >= 2 * batch ? after : all;
    // from the end of the first batch: the job's start-up (sessions, JIT) is not throughput
    long first = detect[Math.min(batch, detect.length) - 1];
    long scored = java.util.Arrays.stream(detect).filter(t -> t > first).count();
    return scored * 1e3 / Math.max(1, detect[detect.length - 1] - first);
  }

  /** Frame {@code i} of the run, on line {@code i mod lines} (line-1 .. line-L). */
  private static CameraFrame frame(
      List<CameraFrame> templates, String run, long i, int lines, Instant capture) {
    return CameraFrame.newBuilder(templates.get((int) (i % templates.size())))
        .setFrameId(run + "-" + i)
        .setLineId("line-" + (1 + i % lines))
        .setCaptureTime(capture)
        .build();
  }

  static double quantile(long[] sorted, double q) {
    return sorted.length == 0 ? Double.NaN : Quantiles.nearestRank(sorted, q);
  }

  /** Reads committed scores; hands them out per phase. */
  static final class ScoreReader implements Runnable {
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final ConcurrentLinkedQueue<Seen> queue = new ConcurrentLinkedQueue<>();
    private final AtomicInteger count = new AtomicInteger();
    private volatile boolean running = true;

    ScoreReader(String servers, String topic) {
      Properties p = new Properties();
      p.put("bootstrap.servers", servers);
      p.put("group.id", "bench-reader-" + System.nanoTime());
      p.put("isolation.level", "read_committed");
      p.put("auto.offset.reset", "earliest");
      p.put("key.deserializer", ByteArrayDeserializer.class.getName());
      p.put("value.deserializer", ByteArrayDeserializer.class.getName());
      consumer = new KafkaConsumer<>(p);
      consumer.subscribe(List.of(topic));
    }

    @Override
    public void run() {
      AvroSerdes<FrameScore> serdes = AvroSerdes.forType(FrameScore.class);
      try {
        while (running) {
          for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
            long now = System.currentTimeMillis();
            FrameScore s;
            try {
              s = serdes.decode(r.value());
            } catch (io.tailwatch.schemas.AvroDecodeException e) {
              throw new IllegalStateException(
                  "a record on the scores topic is not a FrameScore", e);
            }
            long capture = s.getCaptureTime().toEpochMilli();
            queue.add(
                new Seen(
                    capture, s.getDetectTime().toEpochMilli(), s.getLatencyMs(), now - capture));
            count.incrementAndGet();
          }
        }
      } finally {
        consumer.close();
      }
    }

    void drain() {
      queue.clear();
      count.set(0);
    }

    List<Seen> await(int n, Duration timeout) throws InterruptedException {
      long end = System.nanoTime() + timeout.toNanos();
      while (count.get() < n) {
        if (System.nanoTime() > end) {
          throw new IllegalStateException(
              "only " + count.get() + " of " + n + " scores arrived within " + timeout);
        }
        Thread.sleep(50);
      }
      List<Seen> out = new ArrayList<>(queue);
      drain();
      return out;
    }

    void stop() {
      running = false;
    }
  }
}
