package io.tailwatch.tools;

import io.tailwatch.detector.knn.KnnPrecision;
import io.tailwatch.detector.knn.OnnxKnnScorer;
import io.tailwatch.detector.onnx.ExecutionProvider;
import io.tailwatch.tools.bench.DetectorBenchmark;
import io.tailwatch.tools.bench.KnnBenchmark;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code bench}: every measurement, one namespace. Speed (knn, detector, stream, jmh, memory:
 * numbers and ratios measured side by side in one run) and detection quality on long-tailed data
 * (longtail build|run).
 */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description = {
      "Benchmarks: speed (knn, detector, stream, jmh, memory: numbers and ratios from one run;",
      "never timed unit tests) and detection quality on long-tailed noisy data (longtail build|run)."
    },
    subcommands = {
      BenchCommand.Knn.class,
      BenchCommand.Detector.class,
      StreamBench.class,
      BenchCommand.Jmh.class,
      BenchCommand.Memory.class,
      LongtailBench.class
    })
final class BenchCommand implements Runnable {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  /** Prints a result table and, with {@code out}, writes it there too. */
  static void printAndWrite(String table, Path out) throws IOException {
    // every table says what it ran on: figures from different CPUs are not comparable
    table = table.stripTrailing() + "\n\n" + io.tailwatch.tools.bench.CpuFeatures.describe() + "\n";
    System.out.println(table);
    if (out != null) {
      Path parent = out.toAbsolutePath().getParent();
      if (parent != null) {
        Files.createDirectories(parent);
      }
      Files.writeString(out, table);
      System.out.println("written to " + out);
    }
  }

  @Override
  public void run() {
    throw new picocli.CommandLine.ParameterException(
        spec.commandLine(),
        "bench needs a subcommand: " + String.join(", ", spec.subcommands().keySet()));
  }

  /**
   * Exact 1-NN scoring: ours (ONNX Runtime GEMM + TopK over bank chunks) against FAISS {@code
   * IndexFlatL2} and PyTorch {@code cdist}+min on the same data, and against the machine's GEMM
   * rate.
   */
  @Command(
      name = "knn",
      mixinStandardHelpOptions = true,
      description = {
        "Queries/s of exact 1-NN scoring on N x D banks: ours vs FAISS IndexFlatL2 vs PyTorch",
        "cdist+min (same bank and queries, same thread count), and as a fraction of a large GEMM's GFLOP/s."
      })
  static final class Knn implements Callable<Integer> {

    @Option(
        names = "--bank-sizes",
        split = ",",
        defaultValue = "10000,50000,200000",
        description = "Bank vectors N. Default: ${DEFAULT-VALUE}.")
    int[] bankSizes;

    @Option(
        names = "--dims",
        split = ",",
        defaultValue = "128,256",
        description = "Vector dimensions D. Default: ${DEFAULT-VALUE}.")
    int[] dims;

    @Option(
        names = "--queries",
        defaultValue = "6272",
        description =
            "Queries per measurement (784 patches x 8 images). Default: ${DEFAULT-VALUE}.")
    int queries;

    @Option(
        names = "--threads",
        split = ",",
        defaultValue = "1,2",
        description = "Default: ${DEFAULT-VALUE}.")
    int[] threads;

    @Option(
        names = "--repeat",
        defaultValue = "3",
        description = "Timed runs (best taken). Default: ${DEFAULT-VALUE}.")
    int repeat;

    @Option(
        names = "--gemm-size",
        defaultValue = "2048",
        description = "Side of the GEMM-peak MatMul. Default: ${DEFAULT-VALUE}.")
    int gemmSize;

    @Option(
        names = "--peers",
        split = ",",
        defaultValue = "faiss,torch",
        description = "Peers to run through --python (empty: none). Default: ${DEFAULT-VALUE}.")
    List<String> peers;

    @Option(
        names = "--python",
        defaultValue = "/usr/bin/python3",
        description =
            "Python with numpy and the peers (Debian: python3-faiss, python3-torch). Default: ${DEFAULT-VALUE}.")
    String python;

    @Option(
        names = "--precision",
        split = ",",
        defaultValue = "fp32",
        description =
            "Our scorer's precisions: fp32 (exact) and/or int8 (integer GEMM candidates, exact re-rank; "
                + "recall measured against fp32). Default: ${DEFAULT-VALUE}.")
    List<String> precisions;

    @Option(
        names = "--chunk-rows",
        defaultValue = "0",
        description =
            "Bank vectors per GEMM call (0: "
                + OnnxKnnScorer.DEFAULT_CHUNK_ROWS
                + " for fp32, "
                + OnnxKnnScorer.DEFAULT_INT8_CHUNK_ROWS
                + " for int8). Default: ${DEFAULT-VALUE}.")
    int chunkRows;

    @Option(
        names = "--query-block",
        defaultValue = "" + OnnxKnnScorer.DEFAULT_QUERY_BLOCK,
        description = "Queries per GEMM call. Default: ${DEFAULT-VALUE}.")
    int queryBlock;

    @Option(
        names = "--candidates",
        defaultValue = "" + OnnxKnnScorer.DEFAULT_CANDIDATES,
        description =
            "int8: approximate matches per chunk re-ranked exactly. Default: ${DEFAULT-VALUE}.")
    int candidates;

    @Option(
        names = "--device",
        defaultValue = "cpu",
        description =
            "Our scorer's execution provider: cpu, or cuda (fp32 only; a -Pgpu build on a CUDA host;"
                + " the peers stay on the CPU). Default: ${DEFAULT-VALUE}.")
    String device;

    @Option(
        names = "--ann",
        split = ",",
        description =
            "Recall targets for approximate search (e.g. 0.95,0.99): adds a table of our IVF index"
                + " against FAISS IndexIVFFlat and IndexHNSWFlat (peer faiss) at the smallest effort"
                + " that reaches each target, on clustered data. Default: none.")
    List<Double> annTargets = List.of();

    @Option(
        names = "--ivf-lists",
        defaultValue = "0",
        description =
            "IVF lists, ours and FAISS's (0: 4 sqrt(N), at least 39 rows a list). Default: ${DEFAULT-VALUE}.")
    int ivfLists;

    @Option(
        names = "--hnsw-m",
        defaultValue = "32",
        description = "FAISS HNSW links per node (efConstruction 40). Default: ${DEFAULT-VALUE}.")
    int hnswM;

    @Option(names = "--out", description = "Also write the markdown table here.")
    Path out;

    @Override
    public Integer call() throws Exception {
      for (double t : annTargets) {
        if (!(t > 0 && t <= 1)) {
          throw new IllegalArgumentException("--ann recall targets must be in (0, 1], got " + t);
        }
      }
      if (ivfLists < 0 || hnswM < 2) {
        throw new IllegalArgumentException("--ivf-lists must be >= 0 (0 = default), --hnsw-m >= 2");
      }
      for (int n : bankSizes) {
        if (ivfLists > n) {
          throw new IllegalArgumentException(
              "--ivf-lists " + ivfLists + " exceeds the bank size " + n);
        }
      }
      if (queries < 1 || repeat < 1 || gemmSize < 64) {
        throw new IllegalArgumentException(
            "--queries and --repeat must be positive, --gemm-size at least 64");
      }
      if (chunkRows < 0
          || queryBlock < 1
          || candidates < 1
          || (chunkRows > 0 && candidates > chunkRows)) {
        throw new IllegalArgumentException(
            "--chunk-rows must be >= 0 (0 = default), --query-block positive, "
                + "--candidates in [1, --chunk-rows]");
      }
      peers = peers.stream().filter(p -> !p.isBlank()).toList();
      List<KnnPrecision> modes = KnnPrecision.parseAll(precisions);
      ExecutionProvider provider = ExecutionProvider.parse(device);
      if (provider == ExecutionProvider.CUDA && modes.contains(KnnPrecision.INT8)) {
        throw new IllegalArgumentException(
            "--precision int8 runs on the CPU execution provider only; use fp32 with --device cuda");
      }
      KnnBenchmark.Setup setup =
          new KnnBenchmark.Setup(KnnPrecision.FP32, chunkRows, queryBlock, candidates, provider);
      StringBuilder md = new StringBuilder();
      md.append(
          String.format(
              Locale.ROOT,
              "# 1-NN scoring, %d queries per measurement (best of %d)%n%n",
              queries,
              repeat));
      md.append(
          String.format(
              Locale.ROOT,
              "Ours: %s bank vectors x %d queries per GEMM call; int8 keeps %d "
                  + "candidates per chunk.%n%n",
              chunkRows > 0
                  ? Integer.toString(chunkRows)
                  : OnnxKnnScorer.DEFAULT_CHUNK_ROWS
                      + " (fp32) / "
                      + OnnxKnnScorer.DEFAULT_INT8_CHUNK_ROWS
                      + " (int8)",
              queryBlock,
              candidates));
      Map<Integer, Double> peak = new HashMap<>();
      Map<Integer, Double> int8Peak = new HashMap<>();
      for (int t : threads) {
        if (modes.contains(KnnPrecision.INT8)) {
          int8Peak.put(t, KnnBenchmark.int8GemmGops(gemmSize, t, repeat));
          md.append(
              String.format(
                  Locale.ROOT,
                  "- int8 GEMM peak, %d thread(s): %.1f GOP/s (ONNX Runtime "
                      + "DynamicQuantizeMatMul %d^3, uint8 x int8)%n",
                  t,
                  int8Peak.get(t),
                  gemmSize));
        }
        double ort = KnnBenchmark.gemmGflops(gemmSize, t, repeat, provider);
        double blas = peers.isEmpty() ? 0 : numpyGemm(t);
        peak.put(t, Math.max(ort, blas));
        md.append(
            String.format(
                Locale.ROOT,
                "- GEMM peak, %d thread(s): %.1f GFLOP/s (ONNX Runtime MatMul %d^3: "
                    + "%.1f; numpy/BLAS sgemm %d^3: %s)%n",
                t,
                peak.get(t),
                gemmSize,
                ort,
                2 * gemmSize,
                blas > 0 ? String.format(Locale.ROOT, "%.1f", blas) : "not run"));
      }
      md.append("\n| N | D | threads | precision | ours q/s | ours GFLOP/s | of GEMM peak |");
      peers.forEach(p -> md.append(' ').append(p).append(" q/s | ours / ").append(p).append(" |"));
      md.append(" same answer |\n|---|---|---|---|---|---|---|");
      peers.forEach(p -> md.append("---|---|"));
      md.append("---|\n");
      String peerVersions = "";
      try (ProgressBar bar = new ProgressBar("bench")) {
        int total = bankSizes.length * dims.length;
        int done = 0;
        for (int d : dims) {
          float[] q = KnnBenchmark.gaussian(queries, d, 7);
          for (int n : bankSizes) {
            float[] bank = KnnBenchmark.gaussian(n, d, 11);
            Map<String, Map<Integer, double[]>> peerResults = new HashMap<>();
            if (!peers.isEmpty()) {
              peerVersions = runPeers(bank, n, q, d, peerResults);
            }

            for (int t : threads) {
              float[] exact = null;
              for (KnnPrecision mode : modes) {
                KnnBenchmark.Timing ours =
                    KnnBenchmark.ours(bank, n, q, queries, d, t, repeat, setup.withPrecision(mode));
                double oursQps = queries / ours.seconds();
                double gflops = KnnBenchmark.gflop(n, d, queries) / ours.seconds();
                double ceiling = mode == KnnPrecision.INT8 ? int8Peak.get(t) : peak.get(t);
                md.append(
                    String.format(
                        Locale.ROOT,
                        "| %d | %d | %d | %s | %.0f | %.1f | %.0f%% |",
                        n,
                        d,
                        t,
                        mode.label(),
                        oursQps,
                        gflops,
                        100 * gflops / ceiling));
                boolean same = true;
                for (String p : peers) {
                  double[] r = peerResults.getOrDefault(p, Map.of()).get(t);
                  if (r == null) {
                    md.append(" n/a | n/a |");
                    continue;
                  }
                  double qps = queries / r[0];
                  md.append(String.format(Locale.ROOT, " %.0f | %.2fx |", qps, oursQps / qps));
                  same &= Math.abs(r[1] - ours.checksum()) <= 1e-3 * Math.abs(ours.checksum());
                }
                if (mode == KnnPrecision.FP32) {
                  exact = ours.distances();
                  md.append(peers.isEmpty() ? " - |" : same ? " yes |" : " **no** |").append('\n');
                } else {
                  md.append(
                          exact == null
                              ? " recall n/a (no fp32 run) |"
                              : String.format(
                                  Locale.ROOT,
                                  " recall %.4f |",
                                  KnnBenchmark.recall(exact, ours.distances())))
                      .append('\n');
                }
              }
            }
            bar.update(++done, total);
          }
        }
      }
      if (!annTargets.isEmpty()) {
        md.append(annTable());
      }
      md.append("\nPeers: ")
          .append(peerVersions.isEmpty() ? "none" : peerVersions)
          .append(
              ". \"same answer\": the sums of the minimum squared distances agree within 1e-3; \"recall\": the "
                  + "share of queries whose int8 answer has the exact (fp32) minimum distance. GFLOP/s counts 2 N D per "
                  + "query for either precision; \"of GEMM peak\" is over the fp32 peak for fp32 and over the int8 GEMM "
                  + "peak for int8.\n");
      printAndWrite(md.toString(), out);
      return 0;
    }

    /**
     * Approximate search at matched recall: for each bank size, dimension and thread count, our IVF
     * (probes doubled until each target is met) beside FAISS IndexIVFFlat (same lists) and
     * IndexHNSWFlat, all against the same exact distances.
     */
    private String annTable() throws Exception {
      boolean faiss = peers.contains("faiss");
      ExecutionProvider provider = ExecutionProvider.parse(device);
      StringBuilder md = new StringBuilder();
      md.append(
          String.format(
              Locale.ROOT,
              "%n# Approximate 1-NN at matched recall (%d queries, clustered data: 1024 centres)%n%n"
                  + "| N | D | threads | recall target | ours IVF lists / probes | recall | q/s | build s |"
                  + " FAISS IVF nprobe | recall | q/s | build s | FAISS HNSW efSearch | recall | q/s |"
                  + " build s | ours / FAISS IVF | ours / FAISS HNSW | exact q/s (ours) |%n"
                  + "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|%n",
              queries));
      try (ProgressBar bar = new ProgressBar("ann")) {
        int total = bankSizes.length * dims.length * threads.length;
        int done = 0;
        for (int d : dims) {
          float[] q = KnnBenchmark.clustered(queries, d, 1024, 7);
          for (int n : bankSizes) {
            float[] bank = KnnBenchmark.clustered(n, d, 1024, 11);
            int lists =
                ivfLists > 0 ? ivfLists : io.tailwatch.detector.knn.IvfIndex.defaultLists(n);
            for (int t : threads) {
              KnnBenchmark.Timing exact =
                  KnnBenchmark.ours(
                      bank,
                      n,
                      q,
                      queries,
                      d,
                      t,
                      1,
                      KnnBenchmark.Setup.DEFAULT.withDevice(provider));
              KnnBenchmark.IvfSweep ours =
                  KnnBenchmark.ivf(
                      bank,
                      n,
                      q,
                      queries,
                      d,
                      t,
                      repeat,
                      lists,
                      exact.distances(),
                      annTargets,
                      provider);
              Map<String, Map<Double, com.fasterxml.jackson.databind.JsonNode>> peer =
                  faiss ? annPeers(bank, n, q, d, t, lists, exact.distances()) : Map.of();
              for (KnnBenchmark.IvfPoint p : ours.points()) {
                double oursQps = p.probes() > 0 ? queries / p.seconds() : 0;
                md.append(
                    String.format(
                        Locale.ROOT,
                        "| %d | %d | %d | %.2f | %d / %s | %.4f | %s | %.1f |",
                        n,
                        d,
                        t,
                        p.target(),
                        lists,
                        p.probes() > 0 ? Integer.toString(p.probes()) : "not met",
                        p.recall(),
                        p.probes() > 0 ? String.format(Locale.ROOT, "%.0f", oursQps) : "-",
                        ours.buildSeconds()));
                double[] peerQps = new double[2];
                int col = 0;
                for (String name : List.of("faiss-ivf", "faiss-hnsw")) {
                  var r = peer.getOrDefault(name, Map.of()).get(p.target());
                  if (r == null) {
                    md.append(" n/a | | | |");
                  } else if (r.get("value").isNull()) {
                    md.append(
                        String.format(
                            Locale.ROOT,
                            " not met | %.4f | - | %.1f |",
                            r.get("recall").asDouble(),
                            r.get("build_seconds").asDouble()));
                  } else {
                    peerQps[col] = queries / r.get("seconds").asDouble();
                    md.append(
                        String.format(
                            Locale.ROOT,
                            " %d | %.4f | %.0f | %.1f |",
                            r.get("value").asInt(),
                            r.get("recall").asDouble(),
                            peerQps[col],
                            r.get("build_seconds").asDouble()));
                  }
                  col++;
                }
                for (double pq : peerQps) {
                  md.append(
                      pq > 0 && oursQps > 0
                          ? String.format(Locale.ROOT, " %.2fx |", oursQps / pq)
                          : " - |");
                }
                md.append(String.format(Locale.ROOT, " %.0f |%n", queries / exact.seconds()));
              }
              bar.update(++done, total);
            }
          }
        }
      }
      md.append(
          "\nOurs: IVF-Flat built by k-means (10 Lloyd steps on at most 64 rows a list), probes doubled"
              + " from 1; recall = share of queries whose distance equals the exact one (1e-4). FAISS:"
              + " IndexIVFFlat with the same lists (trained on the same number of rows), nprobe doubled;"
              + " IndexHNSWFlat (M = "
              + hnswM
              + ", efConstruction 40), efSearch doubled from 16. Each column is the smallest effort that"
              + " reaches the target, timed as best of --repeat.\n");
      return md.toString();
    }

    /** FAISS IVF and HNSW through the peer script: peer -> target -> its JSON result. */
    private Map<String, Map<Double, com.fasterxml.jackson.databind.JsonNode>> annPeers(
        float[] bank, int n, float[] q, int d, int threads, int lists, float[] exact)
        throws IOException, InterruptedException {
      Path dir = Files.createTempDirectory("tailwatch-bench-");
      Map<String, Map<Double, com.fasterxml.jackson.databind.JsonNode>> out = new HashMap<>();
      try {
        write(dir.resolve("bank.f32"), bank);
        write(dir.resolve("queries.f32"), q);
        write(dir.resolve("exact.f32"), exact);
        runScript(
            dir,
            threads,
            List.of(
                "--n",
                Integer.toString(n),
                "--d",
                Integer.toString(d),
                "--q",
                Integer.toString(q.length / d),
                "--peers",
                "faiss-ivf,faiss-hnsw",
                "--ann-targets",
                annTargets.stream().map(String::valueOf).collect(Collectors.joining(",")),
                "--ivf-lists",
                Integer.toString(lists),
                "--hnsw-m",
                Integer.toString(hnswM)),
            node ->
                out.computeIfAbsent(node.get("peer").asText(), k -> new HashMap<>())
                    .put(node.get("target").asDouble(), node));
        return out;
      } finally {
        deleteDir(dir);
      }
    }

    /** The numpy (BLAS) sgemm rate at {@code threads}, or 0 when Python or numpy is missing. */
    private double numpyGemm(int threads) throws IOException, InterruptedException {
      Path dir = Files.createTempDirectory("tailwatch-bench-");
      try {
        double[] gflops = {0};
        runScript(
            dir,
            threads,
            List.of("--gemm-size", Integer.toString(2 * gemmSize)),
            node -> {
              if (node.get("peer").asText().equals("numpy-sgemm")) {
                gflops[0] = node.get("gflops").asDouble();
              }
            });
        return gflops[0];
      } finally {
        deleteDir(dir);
      }
    }

    /**
     * Runs the peer script once per thread count; fills peer -> threads -> {seconds, checksum};
     * returns versions.
     */
    private String runPeers(
        float[] bank, int n, float[] q, int d, Map<String, Map<Integer, double[]>> results)
        throws IOException, InterruptedException {
      Path dir = Files.createTempDirectory("tailwatch-bench-");
      List<String> versions = new ArrayList<>();
      try {
        write(dir.resolve("bank.f32"), bank);
        write(dir.resolve("queries.f32"), q);
        for (int t : threads) {
          runScript(
              dir,
              t,
              List.of(
                  "--n",
                  Integer.toString(n),
                  "--d",
                  Integer.toString(d),
                  "--q",
                  Integer.toString(q.length / d),
                  "--peers",
                  String.join(",", peers)),
              node -> {
                String peer = node.get("peer").asText();
                results
                    .computeIfAbsent(peer, k -> new HashMap<>())
                    .put(
                        node.get("threads").asInt(),
                        new double[] {
                          node.get("seconds").asDouble(), node.get("checksum").asDouble()
                        });
                String v = peer + " " + node.get("version").asText();
                if (!versions.contains(v)) {
                  versions.add(v);
                }
              });
        }
        return String.join(", ", versions);
      } finally {
        deleteDir(dir);
      }
    }

    /**
     * One run of the peer script with {@code threads} BLAS and OpenMP threads (OpenBLAS fixes its
     * thread count when it loads, so each thread count gets its own process); each JSON result line
     * goes to {@code sink}.
     */
    private void runScript(
        Path dir,
        int threads,
        List<String> args,
        java.util.function.Consumer<com.fasterxml.jackson.databind.JsonNode> sink)
        throws IOException, InterruptedException {
      Path script = dir.resolve("knn_peers.py");
      if (!Files.exists(script)) {
        try (InputStream in = BenchCommand.class.getResourceAsStream("/bench/knn_peers.py")) {
          Files.copy(in, script);
        }
      }
      List<String> cmd =
          new ArrayList<>(
              List.of(
                  python,
                  script.toString(),
                  "--dir",
                  dir.toString(),
                  "--repeat",
                  Integer.toString(repeat),
                  "--threads",
                  Integer.toString(threads)));
      cmd.addAll(args);
      ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
      for (String v : List.of("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")) {
        pb.environment().put(v, Integer.toString(threads));
      }
      Process p;
      try {
        p = pb.start();
      } catch (IOException e) {
        System.err.println("peers not run: cannot start " + python + " (" + e.getMessage() + ")");
        return;
      }
      var json = new com.fasterxml.jackson.databind.ObjectMapper();
      try (BufferedReader r =
          new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = r.readLine()) != null) {
          if (!line.startsWith("{")) {
            System.err.println("peer: " + line);
            continue;
          }
          var node = json.readTree(line);
          if (node.has("error")) {
            System.err.println(
                "peer "
                    + node.get("peer").asText()
                    + " unavailable: "
                    + node.get("error").asText());
            continue;
          }
          sink.accept(node);
        }
      }
      int rc = p.waitFor();
      if (rc != 0) {
        System.err.println("peer script exited with " + rc + " (" + String.join(" ", cmd) + ")");
      }
    }

    private static void deleteDir(Path dir) throws IOException {
      try (var files = Files.list(dir)) {
        for (Path f : files.toList()) {
          Files.deleteIfExists(f);
        }
      }
      Files.deleteIfExists(dir);
    }

    private static void write(Path file, float[] values) throws IOException {
      ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
      b.asFloatBuffer().put(values);
      Files.write(file, b.array());
    }
  }

  /** The whole detector per image and its stages, per batch size and kNN precision. */
  @Command(
      name = "detector",
      mixinStandardHelpOptions = true,
      description = {
        "Frames/s of the whole PatchCore detector (preprocessing, backbone + patch embedding, kNN,",
        "maps) and of its feature and kNN stages alone, per batch size, against an N-vector bank."
      })
  static final class Detector implements Callable<Integer> {

    @picocli.CommandLine.Mixin BackboneOptions backbone;

    @Option(
        names = "--bank-size",
        defaultValue = "20000",
        description = "Bank vectors N. Default: ${DEFAULT-VALUE}.")
    int bankSize;

    @Option(
        names = "--batch-sizes",
        split = ",",
        defaultValue = "1,2,4,8,16,32,64",
        description = "Default: ${DEFAULT-VALUE}.")
    int[] batchSizes;

    @Option(
        names = "--frames",
        defaultValue = "128",
        description =
            "Simulated frames per pass (a multiple of every batch size). Default: ${DEFAULT-VALUE}.")
    int frames;

    @Option(
        names = "--size",
        defaultValue = "256",
        description = "Frame side in pixels. Default: ${DEFAULT-VALUE}.")
    int size;

    @Option(
        names = "--knn-precision",
        split = ",",
        defaultValue = "fp32,int8",
        description = "Default: ${DEFAULT-VALUE}.")
    List<String> precisions;

    @Option(
        names = "--repeat",
        defaultValue = "2",
        description = "Timed passes (best taken). Default: ${DEFAULT-VALUE}.")
    int repeat;

    @Option(
        names = "--tiled-side",
        defaultValue = "2240",
        description =
            "Also measure frames of this side (2240: 5.0 megapixels) decoded from PNG and scored on"
                + " tiles, one at a time as the job does; 0 = skip. Default: ${DEFAULT-VALUE}.")
    int tiledSide;

    @Option(
        names = "--tiled-frames",
        defaultValue = "4",
        description = "Large frames per tiled pass. Default: ${DEFAULT-VALUE}.")
    int tiledFrames;

    @picocli.CommandLine.Mixin TilingOptions tiles;

    @Option(
        names = "--ivf-probes",
        split = ",",
        defaultValue = "0",
        description =
            "Lists probed per patch through an IVF index of the bank, one table row each (0: exact"
                + " search, no index). Default: ${DEFAULT-VALUE}.")
    int[] ivfProbes;

    @Option(
        names = "--ivf-lists",
        defaultValue = "0",
        description = "IVF lists (0: 4 sqrt(N), at least 39 a list). Default: ${DEFAULT-VALUE}.")
    int ivfLists;

    @Option(names = "--out", description = "Also write the markdown table here.")
    Path out;

    @Override
    public Integer call() throws Exception {
      backbone.validate();
      List<KnnPrecision> modes = KnnPrecision.parseAll(precisions);
      for (int p : ivfProbes) {
        if (p < 0) {
          throw new IllegalArgumentException("--ivf-probes must be >= 0, was " + p);
        }
      }
      if (ivfLists < 0 || ivfLists > bankSize) {
        throw new IllegalArgumentException(
            "--ivf-lists must be in [0, --bank-size=" + bankSize + "], was " + ivfLists);
      }
      if (bankSize < 1 || frames < 1 || repeat < 1 || size < 64) {
        throw new IllegalArgumentException(
            "--bank-size, --frames and --repeat must be positive, --size >= 64");
      }
      for (int b : batchSizes) {
        if (b < 1 || b > frames) {
          throw new IllegalArgumentException(
              "--batch-sizes must be in [1, --frames=" + frames + "], was " + b);
        }
      }
      io.tailwatch.detector.image.Tiling tiling = tiledSide > 0 ? tiledTiling() : null;
      var model = backbone.loadBackbone(null);
      var spec = backbone.spec(model);
      StringBuilder md = new StringBuilder();
      StringBuilder tiled = new StringBuilder();
      StringBuilder recalls = new StringBuilder();
      try (var extractor = backbone.openExtractor(model, spec);
          ProgressBar bar = new ProgressBar("bench")) {
        DetectorBenchmark bench =
            DetectorBenchmark.prepare(extractor, bankSize, frames, size, 7, bar);
        md.append(
            String.format(
                Locale.ROOT,
                "# Detector per image: %s (%s) on %s, bank %,d x %d, %d px frames, "
                    + "%s threads (best of %d passes over %d frames)%n%n",
                model.id(),
                extractor.precision().name().toLowerCase(Locale.ROOT),
                extractor.provider(),
                bench.bank().count(),
                bench.bank().dim(),
                size,
                backbone.threads == 0 ? "all" : backbone.threads,
                repeat,
                frames));
        DetectorBenchmark indexed = null;
        boolean anyIvf = java.util.Arrays.stream(ivfProbes).anyMatch(p -> p > 0);
        if (anyIvf) {
          int lists =
              ivfLists > 0
                  ? ivfLists
                  : io.tailwatch.detector.knn.IvfIndex.defaultLists(bench.bank().count());
          try (OnnxKnnScorer fp32 = OnnxKnnScorer.open(backbone.provider(), backbone.threads)) {
            indexed = bench.withIvf(lists, fp32, io.tailwatch.detector.util.Progress.NONE);
          }
          md.append(
              String.format(
                  Locale.ROOT,
                  "IVF index: %d lists, built in %.1f s (k-means, %d Lloyd steps).%n%n",
                  lists,
                  indexed.indexSeconds(),
                  io.tailwatch.detector.knn.IvfIndex.DEFAULT_ITERATIONS));
        }
        if (anyIvf) {
          try (OnnxKnnScorer exact = OnnxKnnScorer.open(backbone.provider(), backbone.threads)) {
            for (int probes : ivfProbes) {
              if (probes == 0) {
                continue;
              }
              try (OnnxKnnScorer approx =
                  OnnxKnnScorer.open(backbone.provider(), backbone.threads).ivfProbes(probes)) {
                double[] r = bench.recall(exact, indexed, approx, 8);
                recalls.append(
                    String.format(Locale.ROOT, "| %d | %.4f | %,d |%n", probes, r[0], (long) r[1]));
              }
            }
          }
        }
        md.append(
            "| batch | kNN | detector frames/s | ms per batch | features frames/s | kNN frames/s "
                + "| kNN share |\n|---|---|---|---|---|---|---|\n");
        int total = modes.size() * batchSizes.length * ivfProbes.length;
        int done = 0;
        for (KnnPrecision mode : modes) {
          for (int probes : ivfProbes) {
            DetectorBenchmark on = probes > 0 ? indexed : bench;
            String label = mode.label() + (probes > 0 ? " ivf " + probes : "");
            try (OnnxKnnScorer knn =
                OnnxKnnScorer.open(backbone.provider(), backbone.threads, mode).ivfProbes(probes)) {
              for (int b : batchSizes) {
                DetectorBenchmark.Row r = on.measure(knn, b, repeat);
                md.append(
                    String.format(
                        Locale.ROOT,
                        "| %d | %s | %.1f | %.1f | %.1f | %.1f | %.0f%% |%n",
                        b,
                        label,
                        r.detectorFps(),
                        r.batchMillis(),
                        r.featuresFps(),
                        r.knnFps(),
                        100 * r.knnShare()));
                bar.update(++done, total);
              }
              if (tiling != null) {
                DetectorBenchmark.TiledRow r =
                    on.measureTiled(knn, tiledSide, tiledFrames, tiling, repeat, 11);
                tiled.append(
                    String.format(
                        Locale.ROOT,
                        "| %s | %d | %.0f | %.2f | %.1f |%n",
                        label,
                        r.tilesPerFrame(),
                        r.decodeMillis(),
                        r.framesPerSecond(),
                        r.megapixelsPerSecond()));
              }
            }
          }
        }
      }
      if (!recalls.isEmpty()) {
        md.append(
            "\n## Recall@1 of the IVF search on these frames' patch vectors\n\n"
                + "| probes | recall@1 | patches |\n|---|---|---|\n");
        md.append(recalls);
        md.append(
            "\nRecall@1: the share of patches whose distance through the index equals the exact one"
                + " (1e-4 relative), real MobileNetV2 patch vectors of simulated frames against the"
                + " same bank.\n");
      }
      if (tiling != null) {
        md.append(
            String.format(
                Locale.ROOT,
                "%n## Large frames on tiles: %dx%d (%.1f megapixels) PNG, %s, one frame at a"
                    + " time (best of %d passes over %d frames)%n%n",
                tiledSide,
                tiledSide,
                tiledSide * (double) tiledSide / 1e6,
                tiling,
                repeat,
                tiledFrames));
        md.append(
            "| kNN | tiles per frame | decode ms per frame | frames/s | megapixels/s |\n"
                + "|---|---|---|---|---|\n");
        md.append(tiled);
        md.append(
            "\nframes/s counts the PNG decode and the tiled detector (tiles in batches of "
                + io.tailwatch.detector.scoring.TiledScoring.TILE_BATCH
                + ", maps stitched at full resolution); the bank is the one above.\n");
      }
      md.append(
          "\nThe detector column is the whole `PatchCoreDetector.detect` (preprocessing, backbone + patch "
              + "embedding, kNN, anomaly maps); the stage columns run the same batches through each stage alone; kNN "
              + "share = detector time spent in the search, from those rates.\n");
      printAndWrite(md.toString(), out);
      return 0;
    }

    /** The tiles of the large-frame table (256-pixel by default), checked before any work. */
    private io.tailwatch.detector.image.Tiling tiledTiling() {
      io.tailwatch.detector.image.Tiling tiling = tiles.tiling();
      if (tiling == null) {
        tiling = new io.tailwatch.detector.image.Tiling(256, 256);
      }
      if (tiledFrames < 1 || tiledSide < tiling.tile()) {
        throw new IllegalArgumentException(
            "--tiled-frames must be positive and --tiled-side at least the tile size "
                + tiling.tile());
      }
      return tiling;
    }
  }

  /**
   * JMH: one image's kNN search per bank size and precision, with the GC profiler's bytes per
   * search.
   */
  @Command(
      name = "jmh",
      mixinStandardHelpOptions = true,
      description = {
        "JMH microbenchmark of one image's kNN search (784 queries) with the GC profiler:",
        "ms per image and Java heap bytes allocated per search, per bank size and precision."
      })
  static final class Jmh implements Callable<Integer> {

    @Option(
        names = "--bank-sizes",
        split = ",",
        defaultValue = "20000,50000",
        description = "Default: ${DEFAULT-VALUE}.")
    List<String> bankSizes;

    @Option(
        names = "--precision",
        split = ",",
        defaultValue = "fp32,int8",
        description = "Default: ${DEFAULT-VALUE}.")
    List<String> precisions;

    @Option(names = "--forks", defaultValue = "1", description = "Default: ${DEFAULT-VALUE}.")
    int forks;

    @Option(
        names = "--warmups",
        defaultValue = "2",
        description = "Warm-up iterations. Default: ${DEFAULT-VALUE}.")
    int warmups;

    @Option(names = "--iterations", defaultValue = "3", description = "Default: ${DEFAULT-VALUE}.")
    int iterations;

    @Option(
        names = "--iteration-seconds",
        defaultValue = "2",
        description = "Default: ${DEFAULT-VALUE}.")
    int iterationSeconds;

    @Option(names = "--out", description = "Also write the markdown table here.")
    Path out;

    @Override
    public Integer call() throws Exception {
      precisions.forEach(KnnPrecision::parse);
      bankSizes.forEach(Integer::parseInt);
      if (forks < 0 || warmups < 0 || iterations < 1 || iterationSeconds < 1) {
        throw new IllegalArgumentException(
            "--forks and --warmups must be >= 0, --iterations and " + "--iteration-seconds >= 1");
      }
      var options =
          new org.openjdk.jmh.runner.options.OptionsBuilder()
              .include(io.tailwatch.tools.bench.jmh.KnnSearchJmh.class.getName() + ".*")
              .param("bankSize", bankSizes.toArray(String[]::new))
              .param("precision", precisions.toArray(String[]::new))
              .addProfiler(org.openjdk.jmh.profile.GCProfiler.class)
              .forks(forks)
              .warmupIterations(warmups)
              .measurementIterations(iterations)
              .warmupTime(org.openjdk.jmh.runner.options.TimeValue.seconds(iterationSeconds))
              .measurementTime(org.openjdk.jmh.runner.options.TimeValue.seconds(iterationSeconds))
              .build();
      StringBuilder md =
          new StringBuilder(
              String.format(
                  Locale.ROOT,
                  "# JMH: one image's kNN search (784 queries, "
                      + "D = 128, 1 thread), GC profiler%n%n| bank N | precision | ms per image (+- 99.9%%) | heap bytes "
                      + "per search | GC count |%n|---|---|---|---|---|%n"));
      for (var r : new org.openjdk.jmh.runner.Runner(options).run()) {
        var p = r.getParams();
        var primary = r.getPrimaryResult();
        var secondary = r.getSecondaryResults();
        var alloc = secondary.get("gc.alloc.rate.norm");
        var gcs = secondary.get("gc.count");
        md.append(
            String.format(
                Locale.ROOT,
                "| %s | %s | %.3f +- %.3f | %.0f | %s |%n",
                p.getParam("bankSize"),
                p.getParam("precision"),
                primary.getScore(),
                primary.getScoreError(),
                alloc == null ? Double.NaN : alloc.getScore(),
                gcs == null ? "n/a" : String.format(Locale.ROOT, "%.0f", gcs.getScore())));
      }
      printAndWrite(md.toString(), out);
      return 0;
    }
  }

  /** A serving bank's resident size against its raw float size, per precision. */
  @Command(
      name = "memory",
      mixinStandardHelpOptions = true,
      description =
          "Resident-set growth of mapping a bank and searching it, against its raw float size.")
  static final class Memory implements Callable<Integer> {

    @Option(
        names = "--bank-size",
        defaultValue = "200000",
        description = "Default: ${DEFAULT-VALUE}.")
    int bankSize;

    @Option(names = "--dim", defaultValue = "128", description = "Default: ${DEFAULT-VALUE}.")
    int dim;

    @Option(
        names = "--precision",
        split = ",",
        defaultValue = "fp32,int8",
        description = "Default: ${DEFAULT-VALUE}.")
    List<String> precisions;

    @Option(
        names = "--ivf-probes",
        defaultValue = "0",
        description =
            "Also measure the bank with an IVF index (4 sqrt(N) lists) searched through this many"
                + " lists (0: no such rows). Default: ${DEFAULT-VALUE}.")
    int ivfProbes;

    @Option(names = "--out", description = "Also write the markdown table here.")
    Path out;

    @Override
    public Integer call() throws Exception {
      if (bankSize < 1 || dim < 1 || ivfProbes < 0) {
        throw new IllegalArgumentException(
            "--bank-size and --dim must be positive, --ivf-probes >= 0");
      }
      List<KnnPrecision> modes = KnnPrecision.parseAll(precisions);
      Path dir = Files.createTempDirectory("tailwatch-bench-memory-");
      StringBuilder md =
          new StringBuilder(
              String.format(
                  Locale.ROOT,
                  "# Bank residency: %,d x %d (raw %.1f MiB)%n%n"
                      + "| precision | step | RSS growth MiB | total / raw |%n|---|---|---|---|%n",
                  bankSize,
                  dim,
                  bankSize * (double) dim * 4 / (1 << 20)));
      try {
        List<int[]> runs = new ArrayList<>();
        for (int m = 0; m < modes.size(); m++) {
          runs.add(new int[] {m, 0});
        }
        if (ivfProbes > 0) {
          runs.add(
              new int[] {
                modes.indexOf(KnnPrecision.FP32) >= 0 ? modes.indexOf(KnnPrecision.FP32) : 0,
                ivfProbes
              });
        }
        for (int[] run : runs) {
          KnnPrecision mode = modes.get(run[0]);
          var r = io.tailwatch.tools.bench.BankResidency.measure(bankSize, dim, mode, run[1], dir);
          long total = 0;
          for (var step : r.steps()) {
            total += step.rssBytes();
            md.append(
                String.format(
                    Locale.ROOT,
                    "| %s | %s | %.1f | %.3f |%n",
                    mode.label(),
                    step.what(),
                    step.rssBytes() / (double) (1 << 20),
                    total / (double) r.rawBytes()));
          }
        }
      } finally {
        Files.deleteIfExists(dir);
      }
      md.append(
          "\nEach run measures in a fresh scorer after ONNX Runtime has started; total / raw adds the steps "
              + "so far (the mapped file, the norms, the index's own tensors, the first search's working memory).\n");
      printAndWrite(md.toString(), out);
      return 0;
    }
  }
}
