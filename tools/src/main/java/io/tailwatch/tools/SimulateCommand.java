package io.tailwatch.tools;

import io.tailwatch.detector.image.ImageDecoder;
import io.tailwatch.detector.image.ImageFiles;
import io.tailwatch.detector.sim.ProductLineSimulator;
import io.tailwatch.flink.ingest.ClaimCheckWriter;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code simulate}: a procedural production line (or a folder replay) writing frames to Kafka at a
 * rate.
 */
@Command(
    name = "simulate",
    mixinStandardHelpOptions = true,
    description =
        "Write camera frames to Kafka: a simulated production line (product variants in a long-tailed "
            + "mix, texture, lighting and sensor noise, scratches/spots/cracks/missing parts with ground truth), or a "
            + "replay of an image folder.")
final class SimulateCommand implements Callable<Integer> {
  @Option(
      names = "--bootstrap-servers",
      defaultValue = "localhost:9092",
      description = "Default: ${DEFAULT-VALUE}.")
  String bootstrapServers;

  @Option(
      names = "--topic",
      defaultValue = "tailwatch.frames",
      description = "Default: ${DEFAULT-VALUE}.")
  String topic;

  @Option(
      names = "--frames",
      defaultValue = "1000",
      description = "Frames to send (0 = until Ctrl-C). Default: ${DEFAULT-VALUE}.")
  long frames;

  @Option(
      names = "--rate",
      defaultValue = "20",
      description = "Frames per second. Default: ${DEFAULT-VALUE}.")
  double rate;

  @Option(
      names = "--size",
      defaultValue = "128",
      description = "Simulated frame side in pixels. Default: ${DEFAULT-VALUE}.")
  int size;

  @Option(
      names = "--defect-rate",
      defaultValue = "0.1",
      description = "Fraction of defective frames. Default: ${DEFAULT-VALUE}.")
  double defectRate;

  @Option(
      names = "--corrupt-every",
      defaultValue = "0",
      description =
          "Also send a corrupt record after every K frames (0 = never), to see dead letters.")
  long corruptEvery;

  @Option(names = "--seed", defaultValue = "7")
  long seed;

  @Option(
      names = "--first-index",
      defaultValue = "100000",
      description =
          "Index of the first simulated frame (fit uses low indices). Default: ${DEFAULT-VALUE}.")
  long firstIndex;

  @Option(names = "--line-id", defaultValue = "line-1")
  String lineId;

  @Option(names = "--run-id", description = "Prefix of frame ids (default: sim-<time>).")
  String runId;

  @Option(
      names = "--replay",
      description = "Send the images of this folder (recursively) instead of simulating.")
  Path replay;

  @Option(
      names = "--out-dir",
      description =
          "Write the simulated frames as PNG files here instead of sending them "
              + "(normal frames under good/, defective ones under <defect>/, e.g. to fit a bank on), as fast as possible.")
  Path outDir;

  @Option(
      names = "--inline-limit",
      defaultValue = "" + FrameProducer.DEFAULT_INLINE_LIMIT,
      description =
          "Frames whose payload is above this many bytes go by claim check (to --claim-check-dir)."
              + " Default: ${DEFAULT-VALUE}.")
  int inlineLimit;

  @Option(
      names = "--claim-check-dir",
      description =
          "Folder or URI (s3://..., any scheme Flink's FileSystem has a plugin for) for claim-check"
              + " payloads: the job's claim-check.root or a folder below it. Without it a frame"
              + " above --inline-limit is an error.")
  String claimCheckDir;

  @Override
  public Integer call() throws Exception {
    if (outDir != null) {
      return writeFiles();
    }
    if (!(rate > 0)) {
      throw new IllegalArgumentException("--rate must be positive, was " + rate);
    }
    if (frames < 0 || corruptEvery < 0) {
      throw new IllegalArgumentException("--frames and --corrupt-every must not be negative");
    }
    String run = runId != null ? runId : "sim-" + System.currentTimeMillis();
    ProductLineSimulator line = new ProductLineSimulator(seed, size, defectRate);
    List<Path> files = replay == null ? List.of() : ImageFiles.list(replay, true);
    long total =
        replay != null ? (frames == 0 ? files.size() : Math.min(frames, files.size())) : frames;
    ImageDecoder decoder = new ImageDecoder();
    long start = System.nanoTime();
    long corrupt = 0;
    ClaimCheckWriter claims = claimCheckDir == null ? null : new ClaimCheckWriter(claimCheckDir);
    if (claims != null) {
      System.out.printf(
          Locale.ROOT,
          "frames above %d bytes go by claim check to %s%n",
          inlineLimit,
          claims.root());
    }
    long claimChecked;
    try (FrameProducer producer = new FrameProducer(bootstrapServers, topic, claims, inlineLimit);
        ProgressBar bar = new ProgressBar("simulate")) {
      for (long i = 0; total == 0 || i < total; i++) {
        long due = start + (long) (i * 1e9 / rate);
        long wait = due - System.nanoTime();
        if (wait > 0) {
          Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
        }
        if (replay != null) {
          producer.send(
              FrameProducer.replayed(files.get((int) i), replay, run, lineId, i, decoder));
        } else {
          producer.send(
              FrameProducer.simulated(line.frame(firstIndex + i), run, lineId, Instant.now()));
        }
        if (corruptEvery > 0 && (i + 1) % corruptEvery == 0) {
          producer.sendCorrupt(i);
          corrupt++;
        }
        if (total > 0) {
          bar.update(i + 1, total);
        }
      }
      producer.flush();
      claimChecked = producer.claimChecked();
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    System.out.printf(
        Locale.ROOT,
        "sent %d frames%s%s to %s in %.1f s (%.1f frames/s), run %s%n",
        total,
        claimChecked > 0 ? " (" + claimChecked + " by claim check)" : "",
        corrupt > 0 ? " and " + corrupt + " corrupt records" : "",
        topic,
        seconds,
        total / seconds,
        run);
    return 0;
  }

  private int writeFiles() throws java.io.IOException {
    if (replay != null) {
      throw new IllegalArgumentException(
          "--out-dir writes simulated frames; it does not go with --replay");
    }
    if (frames <= 0) {
      throw new IllegalArgumentException("--out-dir needs --frames > 0, was " + frames);
    }
    ProductLineSimulator line = new ProductLineSimulator(seed, size, defectRate);
    long defective = 0;
    try (ProgressBar bar = new ProgressBar("simulate")) {
      for (long i = 0; i < frames; i++) {
        io.tailwatch.detector.sim.SimulatedFrame f = line.frame(firstIndex + i);
        String folder = f.defective() ? f.defect().name().toLowerCase(Locale.ROOT) : "good";
        java.nio.file.Path dir = java.nio.file.Files.createDirectories(outDir.resolve(folder));
        java.nio.file.Files.write(
            dir.resolve(String.format(Locale.ROOT, "frame-%08d.png", firstIndex + i)), f.png());
        defective += f.defective() ? 1 : 0;
        bar.update(i + 1, frames);
      }
    }
    System.out.printf(
        Locale.ROOT, "wrote %d frames (%d defective) under %s%n", frames, defective, outDir);
    return 0;
  }
}
