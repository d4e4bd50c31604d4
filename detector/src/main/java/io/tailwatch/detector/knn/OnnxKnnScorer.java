package io.tailwatch.detector.knn;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.tailwatch.detector.bank.IvfLayout;
import io.tailwatch.detector.bank.MemoryBank;
import io.tailwatch.detector.bank.NearestCentres;
import io.tailwatch.detector.onnx.ExecutionProvider;
import io.tailwatch.detector.onnx.OrtSessions;
import io.tailwatch.detector.onnx.ProviderChoice;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * 1-NN (squared L2) of query vectors against a memory bank, on ONNX Runtime. The bank is split into
 * chunks of {@code chunkRows} vectors; queries run in blocks of at most {@code queryBlock} rows so
 * the [queries x chunk] distance block stays a few MB. One instance per thread (its buffers are
 * reused).
 *
 * <p>{@link KnnPrecision#FP32}: exact; the chunk tensors wrap the bank's own (memory-mapped) buffer
 * without a copy. {@link KnnPrecision#INT8}: the index also holds an int8 copy of the bank (a
 * quarter of its float size); each chunk yields its {@code candidates} best approximate matches,
 * the best {@code candidates} over all chunks are kept per query and re-ranked with exact float
 * distances. The answer is exact unless the true neighbour falls outside every chunk's approximate
 * top {@code candidates}; the distance reported is always the exact one to the vector reported.
 *
 * <p>Ours rather than a library's: the search runs as ONNX Runtime GEMMs on the detector's own
 * execution provider, against a memory-mapped bank without a copy, and measured 1.7-2.2x FAISS
 * {@code IndexFlatL2} (fp32) and 3.2-4.1x (int8) on two threads (docs/performance.md).
 */
public final class OnnxKnnScorer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(OnnxKnnScorer.class);
  public static final int DEFAULT_CHUNK_ROWS = 4096;

  /**
   * int8 calls cost more fixed work (query quantisation, candidate merge), so they take larger
   * chunks.
   */
  public static final int DEFAULT_INT8_CHUNK_ROWS = 8192;

  public static final int DEFAULT_QUERY_BLOCK = 1024;

  /**
   * Rows per device-resident chunk ({@link #residentBank}): 128 MB at 128 floats, a few sessions
   * for a bank of a million.
   */
  public static final int DEFAULT_RESIDENT_CHUNK_ROWS = 262_144;

  public static final int DEFAULT_CANDIDATES = 4;

  /**
   * int8 bank range: +-63 keeps the AVX2 u8 x s8 pair sums (vpmaddubsw) inside int16 for any query
   * byte.
   */
  static final int INT8_LEVELS = 63;

  private final OrtSessions.Opened session;
  private final int chunkRows;
  private final int queryBlock;
  private final KnnPrecision precision;
  private final int candidates;
  private final ExecutionProvider device;
  private final int threads;

  /** The CUDA device this scorer's sessions use, kept for the ones it opens later (IVF). */
  private final int cudaDevice = OrtSessions.cudaDevice();

  private int ivfProbes;
  private Boolean residentBank;
  private int residentChunkRows = DEFAULT_RESIDENT_CHUNK_ROWS;
  private OrtSessions.Opened topK;

  /**
   * The exact float graph the IVF lists are scanned with: {@link #session}, or for int8 its own.
   */
  private OrtSessions.Opened listSession;

  private FloatBuffer queryBuffer = FloatBuffer.allocate(0);

  /**
   * Output tensors ONNX Runtime writes into (pinned), per [rows, columns]: no Java copy per chunk
   * call.
   */
  private final Map<String, Outputs> outputs = new HashMap<>();

  private OnnxKnnScorer(
      OrtSessions.Opened session,
      int chunkRows,
      int queryBlock,
      KnnPrecision precision,
      int candidates,
      ExecutionProvider device,
      int threads) {
    this.session = session;
    this.device = device;
    this.threads = threads;
    this.chunkRows = chunkRows;
    this.queryBlock = queryBlock;
    this.precision = precision;
    this.candidates = candidates;
  }

  public static OnnxKnnScorer open(ExecutionProvider device, int threads) throws OrtException {
    return open(device, threads, KnnPrecision.FP32);
  }

  public static OnnxKnnScorer open(ExecutionProvider device, int threads, KnnPrecision precision)
      throws OrtException {
    return open(
        device,
        threads,
        defaultChunkRows(precision),
        DEFAULT_QUERY_BLOCK,
        precision,
        DEFAULT_CANDIDATES);
  }

  public static int defaultChunkRows(KnnPrecision precision) {
    return precision == KnnPrecision.INT8 ? DEFAULT_INT8_CHUNK_ROWS : DEFAULT_CHUNK_ROWS;
  }

  public static OnnxKnnScorer open(
      ExecutionProvider device, int threads, int chunkRows, int queryBlock) throws OrtException {
    return open(device, threads, chunkRows, queryBlock, KnnPrecision.FP32, DEFAULT_CANDIDATES);
  }

  /**
   * @param candidates int8 only: approximate matches kept per chunk and re-ranked exactly per query
   */
  public static OnnxKnnScorer open(
      ExecutionProvider device,
      int threads,
      int chunkRows,
      int queryBlock,
      KnnPrecision precision,
      int candidates)
      throws OrtException {
    if (chunkRows <= 0 || queryBlock <= 0) {
      throw new IllegalArgumentException("chunkRows and queryBlock must be positive");
    }
    if (candidates < 1 || candidates > chunkRows) {
      throw new IllegalArgumentException(
          "kNN candidates must be in [1, chunkRows=" + chunkRows + "], was " + candidates);
    }
    if (precision == KnnPrecision.INT8) {
      // DynamicQuantizeMatMul is an ONNX Runtime CPU kernel: on CUDA it would run on the host with
      // copies
      if (device == ExecutionProvider.CUDA) {
        throw new IllegalArgumentException(
            "kNN precision int8 runs on the CPU execution provider only; "
                + "use fp32 with device=cuda");
      }
      if (device == ExecutionProvider.AUTO) {
        LOG.info("knn: precision int8 runs on the CPU execution provider (device=auto)");
      }
      return new OnnxKnnScorer(
          OrtSessions.open(
              KnnGraph.buildInt8().toByteArray(), ExecutionProvider.CPU, threads, "knn int8"),
          chunkRows,
          queryBlock,
          precision,
          candidates,
          ExecutionProvider.CPU,
          threads);
    }
    return new OnnxKnnScorer(
        OrtSessions.open(KnnGraph.build().toByteArray(), device, threads, "knn"),
        chunkRows,
        queryBlock,
        precision,
        candidates,
        device,
        threads);
  }

  /**
   * Searches banks that carry an IVF index ({@link IvfIndex}) through their {@code probes} nearest
   * lists instead of exactly; 0 (the default) searches every bank exactly. Applies to indexes built
   * after the call. A bank without an IVF index is searched exactly (logged when its index is
   * built).
   */
  public OnnxKnnScorer ivfProbes(int probes) {
    if (probes < 0) {
      throw new IllegalArgumentException("ivf probes must be at least 0, was " + probes);
    }
    this.ivfProbes = probes;
    return this;
  }

  /**
   * Whether exact fp32 searches of a bank run on sessions that hold the bank as initializers (one
   * session per {@link #DEFAULT_RESIDENT_CHUNK_ROWS}-row chunk, built when the bank's index is):
   * the execution provider copies the bank into its memory once per bank version, instead of
   * reading it from host memory with every call. ONNX Runtime's Java API has no I/O binding or
   * device allocator, so this is how a bank stays on a GPU. Default: on when the scorer runs on
   * CUDA, off on the CPU (where the bank is already in place and a copy would double it).
   */
  public OnnxKnnScorer residentBank(boolean resident) {
    this.residentBank = resident;
    return this;
  }

  /** Rows per resident chunk (tests use small ones). */
  OnnxKnnScorer residentChunkRows(int rows) {
    if (rows < 1) {
      throw new IllegalArgumentException("resident chunk rows must be positive, was " + rows);
    }
    this.residentChunkRows = rows;
    return this;
  }

  private boolean resident() {
    return residentBank != null
        ? residentBank
        : session.provider().actual() == ExecutionProvider.CUDA;
  }

  public ProviderChoice provider() {
    return session.provider();
  }

  public KnnPrecision precision() {
    return precision;
  }

  /** Tensors over a bank's chunks; build once per bank version, close when the bank is retired. */
  public Index index(MemoryBank bank) throws OrtException {
    IvfLayout ivf = ivfProbes > 0 ? bank.ivf() : null;
    if (ivfProbes > 0 && ivf == null) {
      LOG.info(
          "knn: bank {} has no ivf index; searching it exactly ({} rows)",
          bank.header().bankVersion(),
          bank.count());
    }
    if (ivf != null && topK == null) {
      topK =
          OrtSessions.open(
              KnnGraph.buildTopK().toByteArray(), device, threads, "knn ivf lists", cudaDevice);
    }
    if (ivf != null && listSession == null) {
      // the lists are searched exactly in float whatever the scorer's precision
      listSession =
          precision == KnnPrecision.FP32
              ? session
              : OrtSessions.open(
                  KnnGraph.build().toByteArray(), device, threads, "knn ivf scan", cudaDevice);
    }
    Index index =
        new Index(
            bank,
            bank.vectors(),
            bank.count(),
            bank.dim(),
            bank.norms(),
            chunkRows,
            precision,
            ivf);
    if (ivf == null && precision == KnnPrecision.FP32 && resident()) {
      try {
        index.makeResident(residentChunkRows);
      } catch (OrtException | RuntimeException e) {
        index.close();
        throw e;
      }
      LOG.info(
          "knn: bank {} resident on {} in {} chunk session(s)",
          bank.header().bankVersion(),
          session.provider(),
          index.resident.size());
    }
    return index;
  }

  /** An index over plain vectors (copied into a direct buffer). */
  public Index index(float[] vectors, int count, int dim) throws OrtException {
    FloatBuffer direct =
        ByteBuffer.allocateDirect(count * dim * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
    direct.put(vectors, 0, count * dim).flip();
    float[] norms = new float[count];
    for (int i = 0; i < count; i++) {
      float s = 0;
      for (int j = 0; j < dim; j++) {
        float v = vectors[i * dim + j];
        s += v * v;
      }
      norms[i] = s;
    }
    return new Index(null, direct, count, dim, norms, chunkRows, precision, null);
  }

  /**
   * This scorer as the coreset's bulk step (one GEMM pass of all points against a phase's centres).
   */
  public NearestCentres nearestCentres() {
    return (points, n, d, centres, m) -> {
      try (Index idx = index(centres, m, d)) {
        return search(idx, points, n).distances();
      } catch (OrtException e) {
        throw new IllegalStateException(
            "ONNX Runtime failed in the coreset's distance pass: " + e.getMessage(), e);
      }
    };
  }

  /**
   * @param queries {@code q * dim} row-major
   */
  public KnnResult search(Index index, float[] queries, int q) throws OrtException {
    int dim = index.dim;
    if ((long) q * dim > queries.length) {
      throw new IllegalArgumentException(
          q + " queries of dim " + dim + " need " + (long) q * dim + " values");
    }
    if (index.precision != precision) {
      throw new IllegalArgumentException(
          "index built for " + index.precision.label() + ", scorer is " + precision.label());
    }
    if (index.ivf != null) {
      return ivfSearch(index, queries, q);
    }
    float[] best = new float[q];
    int[] bestIdx = new int[q];
    Arrays.fill(best, Float.POSITIVE_INFINITY);
    OrtEnvironment env = OrtSessions.environment();
    for (int q0 = 0; q0 < q; q0 += queryBlock) {
      int rows = Math.min(queryBlock, q - q0);
      try (OnnxTensor qt = queryTensor(env, queries, q0, rows, dim)) {
        if (precision == KnnPrecision.FP32) {
          exactBlock(index, qt, rows, q0, best, bestIdx);
        } else {
          candidateBlock(index, qt, queries, rows, q0, best, bestIdx);
        }
      }
    }
    for (int j = 0; j < q; j++) {
      best[j] =
          Math.max(
              0f, best[j]); // the GEMM form can go slightly negative for a query on a bank vector
    }
    return new KnnResult(best, bestIdx);
  }

  /** Rows {@code q0 .. q0+rows} of {@code queries} as a tensor over this scorer's direct buffer. */
  private OnnxTensor queryTensor(OrtEnvironment env, float[] queries, int q0, int rows, int dim)
      throws OrtException {
    if (queryBuffer.capacity() < rows * dim) {
      queryBuffer =
          ByteBuffer.allocateDirect(rows * dim * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
    }
    queryBuffer.clear();
    queryBuffer.put(queries, q0 * dim, rows * dim).flip();
    return OnnxTensor.createTensor(env, queryBuffer, new long[] {rows, dim});
  }

  /** IVF: the probed lists of every query (GEMM + TopK over the centroids), then the list scan. */
  private KnnResult ivfSearch(Index index, float[] queries, int q) throws OrtException {
    int dim = index.dim;
    int p = index.probes;
    long[] probe = new long[q * p];
    OrtEnvironment env = OrtSessions.environment();
    for (int q0 = 0; q0 < q; q0 += queryBlock) {
      int rows = Math.min(queryBlock, q - q0);
      Outputs out = outputs(rows, p, KnnGraph.CANDIDATE_DIST, KnnGraph.CANDIDATE_INDEX);
      try (OnnxTensor qt = queryTensor(env, queries, q0, rows, dim);
          OrtSession.Result r =
              topK.session()
                  .run(
                      Map.of(
                          KnnGraph.QUERIES,
                          qt,
                          KnnGraph.BANK,
                          index.centroids,
                          KnnGraph.BANK_NORMS,
                          index.centroidNorms,
                          KnnGraph.CANDIDATES,
                          index.probeCount),
                      out.pinned)) {
        out.indices.get(0, probe, q0 * p, rows * p);
      }
    }
    IvfIndex.Groups groups = IvfIndex.group(probe, q, p, index.ivf.lists());
    int lists = index.ivf.lists();
    int[] start = groups.start();
    // contiguous ranges of lists with about equal work (queries x rows), one per worker thread:
    // a list's GEMM is too small for ONNX Runtime to spread over the cores by itself
    int workers = Math.max(1, Math.min(threads, lists));
    long total = 0;
    for (int l = 0; l < lists; l++) {
      total += (long) (start[l + 1] - start[l]) * index.ivf.listSize(l);
    }
    int[] bounds = new int[workers + 1];
    long acc = 0;
    int w = 1;
    for (int l = 0; l < lists && w < workers; l++) {
      acc += (long) (start[l + 1] - start[l]) * index.ivf.listSize(l);
      if (acc * workers >= total * w) {
        bounds[w++] = l + 1;
      }
    }
    for (; w <= workers; w++) {
      bounds[w] = lists;
    }
    while (listScans.size() < workers) {
      listScans.add(new ListScan());
    }
    float[] best = new float[q];
    int[] bestIdx = new int[q];
    Arrays.fill(best, Float.POSITIVE_INFINITY);
    Arrays.fill(bestIdx, -1);
    if (workers == 1) {
      listScans.get(0).scan(index, queries, q, groups, 0, lists, best, bestIdx);
    } else {
      float[][] bests = new float[workers][];
      int[][] ats = new int[workers][];
      java.util.concurrent.atomic.AtomicReference<OrtException> failed =
          new java.util.concurrent.atomic.AtomicReference<>();
      java.util.stream.IntStream.range(0, workers)
          .parallel()
          .forEach(
              k -> {
                float[] b = new float[q];
                int[] a = new int[q];
                Arrays.fill(b, Float.POSITIVE_INFINITY);
                Arrays.fill(a, -1);
                try {
                  listScans.get(k).scan(index, queries, q, groups, bounds[k], bounds[k + 1], b, a);
                } catch (OrtException e) {
                  failed.compareAndSet(null, e);
                }
                bests[k] = b;
                ats[k] = a;
              });
      if (failed.get() != null) {
        throw failed.get();
      }
      for (int k = 0; k < workers; k++) {
        for (int j = 0; j < q; j++) {
          if (bests[k][j] < best[j]) {
            best[j] = bests[k][j];
            bestIdx[j] = ats[k][j];
          }
        }
      }
    }
    for (int j = 0; j < q; j++) {
      best[j] = Math.max(0f, best[j]); // the GEMM form can dip slightly below zero
    }
    return new KnnResult(best, bestIdx);
  }

  /** The fine step's per-thread state: its query buffer and pinned outputs. */
  private final List<ListScan> listScans = new ArrayList<>();

  private final class ListScan {
    private FloatBuffer queries = FloatBuffer.allocate(0);
    private final Map<Integer, Outputs> pinned = new HashMap<>();

    /** Lists {@code from..to-1}: each a GEMM of its queries (blocks of queryBlock) and its rows. */
    void scan(
        Index index,
        float[] all,
        int q,
        IvfIndex.Groups groups,
        int from,
        int to,
        float[] best,
        int[] bestIdx)
        throws OrtException {
      int dim = index.dim;
      int[] start = groups.start();
      int[] members = groups.members();
      OrtEnvironment env = OrtSessions.environment();
      for (int l = from; l < to; l++) {
        Chunk list = index.lists[l];
        if (list == null) {
          continue;
        }
        for (int s0 = start[l]; s0 < start[l + 1]; s0 += queryBlock) {
          int rows = Math.min(queryBlock, start[l + 1] - s0);
          if (queries.capacity() < rows * dim) {
            queries =
                ByteBuffer.allocateDirect(queryBlock * dim * 4)
                    .order(ByteOrder.nativeOrder())
                    .asFloatBuffer();
          }
          queries.clear();
          for (int s = s0; s < s0 + rows; s++) {
            queries.put(all, members[s] * dim, dim);
          }
          queries.flip();
          Outputs out = pinned.get(rows);
          if (out == null) {
            out = new Outputs(rows, 1, KnnGraph.MIN_DIST, KnnGraph.MIN_INDEX);
            pinned.put(rows, out);
          }
          try (OnnxTensor qt = OnnxTensor.createTensor(env, queries, new long[] {rows, dim});
              OrtSession.Result r = runExact(listSession, qt, list, out)) {
            for (int s = s0; s < s0 + rows; s++) {
              int j = members[s];
              float v = out.distances.get(s - s0);
              if (v < best[j]) {
                best[j] = v;
                bestIdx[j] = list.offset + (int) out.indices.get(s - s0);
              }
            }
          }
        }
      }
    }

    void close() {
      pinned.values().forEach(Outputs::close);
      pinned.clear();
    }
  }

  /** One exact-graph run of a query tensor against one bank chunk (or IVF list). */
  private static OrtSession.Result runExact(
      OrtSessions.Opened graph, OnnxTensor qt, Chunk chunk, Outputs out) throws OrtException {
    return graph
        .session()
        .run(
            Map.of(
                KnnGraph.QUERIES,
                qt,
                KnnGraph.BANK,
                chunk.vectors,
                KnnGraph.BANK_NORMS,
                chunk.norms),
            out.pinned);
  }

  private void exactBlock(Index index, OnnxTensor qt, int rows, int q0, float[] best, int[] bestIdx)
      throws OrtException {
    Outputs out = outputs(rows, 1, KnnGraph.MIN_DIST, KnnGraph.MIN_INDEX);
    FloatBuffer d = out.distances;
    LongBuffer i = out.indices;
    if (index.resident != null) {
      for (ResidentChunk chunk : index.resident) {
        try (OrtSession.Result r =
            chunk.session().session().run(Map.of(KnnGraph.QUERIES, qt), out.pinned)) {
          for (int j = 0; j < rows; j++) {
            float v = d.get(j);
            if (v < best[q0 + j]) {
              best[q0 + j] = v;
              bestIdx[q0 + j] = chunk.offset() + (int) i.get(j);
            }
          }
        }
      }
      return;
    }
    for (Chunk chunk : index.chunks) {
      try (OrtSession.Result r = runExact(session, qt, chunk, out)) {
        for (int j = 0; j < rows; j++) {
          float v = d.get(j);
          if (v < best[q0 + j]) {
            best[q0 + j] = v;
            bestIdx[q0 + j] = chunk.offset + (int) i.get(j);
          }
        }
      }
    }
  }

  /**
   * int8: the best {@code candidates} approximate matches over all chunks, then exact float
   * re-ranking.
   */
  private void candidateBlock(
      Index index, OnnxTensor qt, float[] queries, int rows, int q0, float[] best, int[] bestIdx)
      throws OrtException {
    int c = candidates;
    float[] approx = new float[rows * c];
    int[] at = new int[rows * c];
    Arrays.fill(approx, Float.POSITIVE_INFINITY);
    Arrays.fill(at, -1);
    for (Chunk chunk : index.chunks) {
      Outputs out =
          outputs(rows, chunk.candidateCount, KnnGraph.CANDIDATE_DIST, KnnGraph.CANDIDATE_INDEX);
      try (OrtSession.Result r =
          session
              .session()
              .run(
                  Map.of(
                      KnnGraph.QUERIES,
                      qt,
                      KnnGraph.BANK_INT8,
                      chunk.vectors,
                      KnnGraph.BANK_SCALE,
                      index.int8Scale,
                      KnnGraph.BANK_NORMS,
                      chunk.norms,
                      KnnGraph.CANDIDATES,
                      chunk.candidates),
                  out.pinned)) {
        FloatBuffer d = out.distances;
        LongBuffer i = out.indices;
        int kc = chunk.candidateCount;
        for (int j = 0; j < rows; j++) {
          int base = j * c;
          for (int t = 0; t < kc; t++) {
            float v = d.get(j * kc + t);
            int worst = base;
            for (int s = base + 1; s < base + c; s++) {
              if (approx[s] > approx[worst]) {
                worst = s;
              }
            }
            if (v < approx[worst]) {
              approx[worst] = v;
              at[worst] = chunk.offset + (int) i.get(j * kc + t);
            }
          }
        }
      }
    }
    int dim = index.dim;
    FloatBuffer bank = index.floats;
    for (int j = 0; j < rows; j++) {
      int qOff = (q0 + j) * dim;
      float qq = 0;
      for (int x = 0; x < dim; x++) {
        qq += queries[qOff + x] * queries[qOff + x];
      }
      for (int s = j * c; s < (j + 1) * c; s++) {
        int m = at[s];
        if (m < 0) {
          continue;
        }
        // same GEMM form as the fp32 graph, so both precisions report identical values for
        // identical matches
        float dot = 0;
        int mOff = m * dim;
        for (int x = 0; x < dim; x++) {
          dot += queries[qOff + x] * bank.get(mOff + x);
        }
        float exact = index.norms[m] - 2 * dot + qq;
        if (exact < best[q0 + j]) {
          best[q0 + j] = exact;
          bestIdx[q0 + j] = m;
        }
      }
    }
  }

  private Outputs outputs(int rows, int cols, String distName, String indexName)
      throws OrtException {
    // keyed by the output names too: the exact graph's [rows, 1] and a one-list probe differ
    String key = rows + "x" + cols + ":" + distName;
    Outputs o = outputs.get(key);
    if (o == null) {
      o = new Outputs(rows, cols, distName, indexName);
      outputs.put(key, o);
    }
    return o;
  }

  @Override
  public void close() throws OrtException {
    outputs.values().forEach(Outputs::close);
    outputs.clear();
    listScans.forEach(ListScan::close);
    listScans.clear();
    session.close();
    if (topK != null) {
      topK.close();
      topK = null;
    }
    if (listSession != null && listSession != session) {
      listSession.close();
    }
    listSession = null;
  }

  /**
   * Direct buffers for one output shape, wrapped as the tensors ONNX Runtime writes the run's
   * results into.
   */
  private static final class Outputs implements AutoCloseable {
    final FloatBuffer distances;
    final LongBuffer indices;
    final Map<String, OnnxTensor> pinned;

    Outputs(int rows, int cols, String distName, String indexName) throws OrtException {
      OrtEnvironment env = OrtSessions.environment();
      distances =
          ByteBuffer.allocateDirect(rows * cols * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
      indices =
          ByteBuffer.allocateDirect(rows * cols * 8).order(ByteOrder.nativeOrder()).asLongBuffer();
      OnnxTensor d = OnnxTensor.createTensor(env, distances, new long[] {rows, cols});
      OnnxTensor i = OnnxTensor.createTensor(env, indices, new long[] {rows, cols});
      pinned = Map.of(distName, d, indexName, i);
    }

    @Override
    public void close() {
      pinned.values().forEach(OnnxTensor::close);
    }
  }

  /** A bank chunk held by its own session ({@link #residentBank}). */
  private record ResidentChunk(int offset, OrtSessions.Opened session) {}

  private record Chunk(
      int offset,
      OnnxTensor vectors,
      OnnxTensor norms,
      OnnxTensor candidates,
      int candidateCount) {}

  /**
   * A bank prepared for search: per-chunk tensors (fp32: zero-copy views of the bank; int8: a
   * quantised copy).
   */
  public final class Index implements AutoCloseable {
    private final MemoryBank bank;
    private final int dim;
    private final KnnPrecision precision;
    private final FloatBuffer floats;
    private final float[] norms;
    private final List<Chunk> chunks = new ArrayList<>();
    private OnnxTensor int8Scale;
    private final IvfLayout ivf;
    private final int probes;
    private OnnxTensor centroids;
    private OnnxTensor centroidNorms;
    private OnnxTensor probeCount;
    private Chunk[] lists;
    private List<ResidentChunk> resident;

    /**
     * Sessions holding the bank as initializers, {@code rows} rows each ({@link #residentBank}).
     */
    private void makeResident(int rows) throws OrtException {
      resident = new ArrayList<>();
      int count = norms.length;
      for (int off = 0; off < count; off += rows) {
        int n = Math.min(rows, count - off);
        byte[] model =
            KnnGraph.buildResident(floats.duplicate().position(off * dim), n, dim, norms, off)
                .toByteArray();
        resident.add(
            new ResidentChunk(
                off,
                OrtSessions.open(
                    model, device, threads, "knn resident chunk @" + off, cudaDevice)));
      }
    }

    private Index(
        MemoryBank bank,
        FloatBuffer all,
        int count,
        int dim,
        float[] norms,
        int chunkRows,
        KnnPrecision precision,
        IvfLayout ivf)
        throws OrtException {
      this.bank = bank;
      this.dim = dim;
      this.precision = precision;
      this.floats = all;
      this.norms = norms;
      this.ivf = ivf;
      this.probes = ivf == null ? 0 : Math.min(ivfProbes, ivf.lists());
      OrtEnvironment env = OrtSessions.environment();
      if (ivf != null) {
        // the lists are scanned in Java; no per-chunk tensors (and no int8 copy) are needed
        try {
          float[] cn = new float[ivf.lists()];
          float[] c = ivf.centroids();
          for (int l = 0; l < cn.length; l++) {
            float s = 0;
            for (int x = 0; x < dim; x++) {
              s += c[l * dim + x] * c[l * dim + x];
            }
            cn[l] = s;
          }
          centroids =
              OnnxTensor.createTensor(env, FloatBuffer.wrap(c), new long[] {cn.length, dim});
          centroidNorms =
              OnnxTensor.createTensor(env, FloatBuffer.wrap(cn), new long[] {cn.length});
          probeCount = OnnxTensor.createTensor(env, new long[] {probes});
          // each list as a zero-copy [rows, dim] view of the bank, with its rows' norms
          lists = new Chunk[ivf.lists()];
          FloatBuffer listNorms =
              ByteBuffer.allocateDirect(count * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
          listNorms.put(norms, 0, count).flip();
          for (int l = 0; l < lists.length; l++) {
            int off = ivf.offsets()[l];
            int rows = ivf.listSize(l);
            if (rows == 0) {
              continue;
            }
            FloatBuffer slice =
                all.duplicate().position(off * dim).limit((off + rows) * dim).slice();
            FloatBuffer n = listNorms.duplicate().position(off).limit(off + rows).slice();
            lists[l] =
                new Chunk(
                    off,
                    OnnxTensor.createTensor(env, slice, new long[] {rows, dim}),
                    OnnxTensor.createTensor(env, n, new long[] {rows}),
                    null,
                    0);
          }
        } catch (OrtException | RuntimeException e) {
          close();
          throw e;
        }
        return;
      }
      try {
        float scale = precision == KnnPrecision.INT8 ? int8Scale(all, count, dim) : 1f;
        if (precision == KnnPrecision.INT8) {
          int8Scale = OnnxTensor.createTensor(env, -2f * scale);
        }
        for (int off = 0; off < count; off += chunkRows) {
          int rows = Math.min(chunkRows, count - off);
          FloatBuffer n =
              ByteBuffer.allocateDirect(rows * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
          n.put(norms, off, rows).flip();
          OnnxTensor normTensor = OnnxTensor.createTensor(env, n, new long[] {rows});
          if (precision == KnnPrecision.FP32) {
            FloatBuffer slice =
                all.duplicate().position(off * dim).limit((off + rows) * dim).slice();
            chunks.add(
                new Chunk(
                    off,
                    OnnxTensor.createTensor(env, slice, new long[] {rows, dim}),
                    normTensor,
                    null,
                    0));
          } else {
            int kc = Math.min(candidates, rows);
            chunks.add(
                new Chunk(
                    off,
                    OnnxTensor.createTensor(
                        env,
                        quantiseTransposed(all, off, rows, dim, scale),
                        new long[] {dim, rows},
                        OnnxJavaType.INT8),
                    normTensor,
                    OnnxTensor.createTensor(env, new long[] {kc}),
                    kc));
          }
        }
      } catch (OrtException | RuntimeException e) {
        close();
        throw e;
      }
    }

    /** The IVF lists this index searches, or null for exact search. */
    public IvfLayout ivf() {
      return ivf;
    }

    /** Sessions holding this index's bank ({@link #residentBank}); 0 when it is passed per call. */
    public int residentChunks() {
      return resident == null ? 0 : resident.size();
    }

    /** Lists probed per query (0 for exact search). */
    public int probes() {
      return probes;
    }

    /** The bank this index was built from (null for an index over plain vectors). */
    public MemoryBank bank() {
      return bank;
    }

    @Override
    public void close() {
      for (Chunk c : chunks) {
        c.vectors.close();
        c.norms.close();
        if (c.candidates != null) {
          c.candidates.close();
        }
      }
      chunks.clear();
      if (int8Scale != null) {
        int8Scale.close();
        int8Scale = null;
      }
      for (OnnxTensor t : new OnnxTensor[] {centroids, centroidNorms, probeCount}) {
        if (t != null) {
          t.close();
        }
      }
      centroids = null;
      centroidNorms = null;
      probeCount = null;
      if (resident != null) {
        for (ResidentChunk c : resident) {
          try {
            c.session().close();
          } catch (OrtException e) {
            LOG.warn("knn: closing a resident chunk session failed: {}", e.getMessage());
          }
        }
        resident = null;
      }
      if (lists != null) {
        for (Chunk c : lists) {
          if (c != null) {
            c.vectors.close();
            c.norms.close();
          }
        }
        lists = null;
      }
    }
  }

  /** One symmetric scale for the bank: its largest magnitude maps to {@link #INT8_LEVELS}. */
  static float int8Scale(FloatBuffer all, int count, int dim) {
    float max = 0;
    for (int i = 0, n = count * dim; i < n; i++) {
      max = Math.max(max, Math.abs(all.get(i)));
    }
    return max > 0 ? max / INT8_LEVELS : 1f;
  }

  /**
   * Rows {@code off..off+rows} of the bank as int8, transposed to [dim, rows] (the GEMM's B
   * layout).
   */
  static ByteBuffer quantiseTransposed(FloatBuffer all, int off, int rows, int dim, float scale) {
    ByteBuffer out = ByteBuffer.allocateDirect(rows * dim).order(ByteOrder.nativeOrder());
    float inv = 1f / scale;
    for (int r = 0; r < rows; r++) {
      int src = (off + r) * dim;
      for (int j = 0; j < dim; j++) {
        int v = Math.round(all.get(src + j) * inv);
        out.put(j * rows + r, (byte) Math.max(-INT8_LEVELS, Math.min(INT8_LEVELS, v)));
      }
    }
    return out;
  }
}
