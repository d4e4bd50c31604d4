package io.tailwatch.detector.knn;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
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
  private FloatBuffer queryBuffer = FloatBuffer.allocate(0);

  /**
   * Output tensors ONNX Runtime writes into (pinned), per [rows, columns]: no Java copy per chunk
   * call.
   */
  private final Map<Long, Outputs> outputs = new HashMap<>();

  private OnnxKnnScorer(
      OrtSessions.Opened session,
      int chunkRows,
      int queryBlock,
      KnnPrecision precision,
      int candidates) {
    this.session = session;
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
          candidates);
    }
    return new OnnxKnnScorer(
        OrtSessions.open(KnnGraph.build().toByteArray(), device, threads, "knn"),
        chunkRows,
        queryBlock,
        precision,
        candidates);
  }

  public ProviderChoice provider() {
    return session.provider();
  }

  public KnnPrecision precision() {
    return precision;
  }

  /** Tensors over a bank's chunks; build once per bank version, close when the bank is retired. */
  public Index index(MemoryBank bank) throws OrtException {
    return new Index(
        bank, bank.vectors(), bank.count(), bank.dim(), bank.norms(), chunkRows, precision);
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
    return new Index(null, direct, count, dim, norms, chunkRows, precision);
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
    float[] best = new float[q];
    int[] bestIdx = new int[q];
    Arrays.fill(best, Float.POSITIVE_INFINITY);
    OrtEnvironment env = OrtSessions.environment();
    for (int q0 = 0; q0 < q; q0 += queryBlock) {
      int rows = Math.min(queryBlock, q - q0);
      if (queryBuffer.capacity() < rows * dim) {
        queryBuffer =
            ByteBuffer.allocateDirect(rows * dim * 4)
                .order(ByteOrder.nativeOrder())
                .asFloatBuffer();
      }
      queryBuffer.clear();
      queryBuffer.put(queries, q0 * dim, rows * dim).flip();
      try (OnnxTensor qt = OnnxTensor.createTensor(env, queryBuffer, new long[] {rows, dim})) {
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

  private void exactBlock(Index index, OnnxTensor qt, int rows, int q0, float[] best, int[] bestIdx)
      throws OrtException {
    Outputs out = outputs(rows, 1, KnnGraph.MIN_DIST, KnnGraph.MIN_INDEX);
    FloatBuffer d = out.distances;
    LongBuffer i = out.indices;
    for (Chunk chunk : index.chunks) {
      try (OrtSession.Result r =
          session
              .session()
              .run(
                  Map.of(
                      KnnGraph.QUERIES,
                      qt,
                      KnnGraph.BANK,
                      chunk.vectors,
                      KnnGraph.BANK_NORMS,
                      chunk.norms),
                  out.pinned)) {
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
    Outputs o = outputs.get(((long) rows << 32) | cols);
    if (o == null) {
      o = new Outputs(rows, cols, distName, indexName);
      outputs.put(((long) rows << 32) | cols, o);
    }
    return o;
  }

  @Override
  public void close() throws OrtException {
    outputs.values().forEach(Outputs::close);
    outputs.clear();
    session.close();
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

    private Index(
        MemoryBank bank,
        FloatBuffer all,
        int count,
        int dim,
        float[] norms,
        int chunkRows,
        KnnPrecision precision)
        throws OrtException {
      this.bank = bank;
      this.dim = dim;
      this.precision = precision;
      this.floats = all;
      this.norms = norms;
      OrtEnvironment env = OrtSessions.environment();
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
