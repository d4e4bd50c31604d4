package io.tailwatch.detector.knn;

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
import java.util.List;
import java.util.Map;

/**
 * Exact 1-NN (squared L2) of query vectors against a memory bank, on ONNX Runtime. The bank is split into
 * chunks of {@code chunkRows} vectors whose tensors wrap the bank's own (memory-mapped) buffer without a copy;
 * queries run in blocks of at most {@code queryBlock} rows so the [queries x chunk] distance block stays a
 * few MB. One instance per thread (its query buffer is reused).
 */
public final class OnnxKnnScorer implements AutoCloseable {
  public static final int DEFAULT_CHUNK_ROWS = 4096;
  public static final int DEFAULT_QUERY_BLOCK = 1024;

  private final OrtSessions.Opened session;
  private final int chunkRows;
  private final int queryBlock;
  private FloatBuffer queryBuffer = FloatBuffer.allocate(0);

  private OnnxKnnScorer(OrtSessions.Opened session, int chunkRows, int queryBlock) {
    this.session = session;
    this.chunkRows = chunkRows;
    this.queryBlock = queryBlock;
  }

  public static OnnxKnnScorer open(ExecutionProvider device, int threads) throws OrtException {
    return open(device, threads, DEFAULT_CHUNK_ROWS, DEFAULT_QUERY_BLOCK);
  }

  public static OnnxKnnScorer open(ExecutionProvider device, int threads, int chunkRows, int queryBlock)
      throws OrtException {
    if (chunkRows <= 0 || queryBlock <= 0) {
      throw new IllegalArgumentException("chunkRows and queryBlock must be positive");
    }
    return new OnnxKnnScorer(OrtSessions.open(KnnGraph.build().toByteArray(), device, threads, "knn"), chunkRows,
        queryBlock);
  }

  public ProviderChoice provider() {
    return session.provider();
  }

  /** Tensors over a bank's chunks; build once per bank version, close when the bank is retired. */
  public Index index(MemoryBank bank) throws OrtException {
    return new Index(bank, bank.vectors(), bank.count(), bank.dim(), bank.norms(), chunkRows);
  }

  /** An index over plain vectors (copied into a direct buffer). */
  public Index index(float[] vectors, int count, int dim) throws OrtException {
    FloatBuffer direct = ByteBuffer.allocateDirect(count * dim * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
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
    return new Index(null, direct, count, dim, norms, chunkRows);
  }

  /** This scorer as the coreset's bulk step (one GEMM pass of all points against a phase's centres). */
  public NearestCentres nearestCentres() {
    return (points, n, d, centres, m) -> {
      try (Index idx = index(centres, m, d)) {
        return search(idx, points, n).distances();
      } catch (OrtException e) {
        throw new IllegalStateException("ONNX Runtime failed in the coreset's distance pass: " + e.getMessage(), e);
      }
    };
  }

  /** @param queries {@code q * dim} row-major */
  public KnnResult search(Index index, float[] queries, int q) throws OrtException {
    int dim = index.dim;
    if ((long) q * dim > queries.length) {
      throw new IllegalArgumentException(q + " queries of dim " + dim + " need " + (long) q * dim + " values");
    }
    float[] best = new float[q];
    int[] bestIdx = new int[q];
    Arrays.fill(best, Float.POSITIVE_INFINITY);
    OrtEnvironment env = OrtSessions.environment();
    for (int q0 = 0; q0 < q; q0 += queryBlock) {
      int rows = Math.min(queryBlock, q - q0);
      if (queryBuffer.capacity() < rows * dim) {
        queryBuffer = ByteBuffer.allocateDirect(rows * dim * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
      }
      queryBuffer.clear();
      queryBuffer.put(queries, q0 * dim, rows * dim).flip();
      try (OnnxTensor qt = OnnxTensor.createTensor(env, queryBuffer, new long[] {rows, dim})) {
        for (int c = 0; c < index.chunks.size(); c++) {
          Chunk chunk = index.chunks.get(c);
          try (OrtSession.Result r = session.session().run(
              Map.of(KnnGraph.QUERIES, qt, KnnGraph.BANK, chunk.vectors, KnnGraph.BANK_NORMS, chunk.norms))) {
            FloatBuffer d = ((OnnxTensor) r.get(KnnGraph.MIN_DIST).orElseThrow()).getFloatBuffer();
            LongBuffer i = ((OnnxTensor) r.get(KnnGraph.MIN_INDEX).orElseThrow()).getLongBuffer();
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
    }
    for (int j = 0; j < q; j++) {
      best[j] = Math.max(0f, best[j]); // the GEMM form can go slightly negative for a query on a bank vector
    }
    return new KnnResult(best, bestIdx);
  }

  @Override
  public void close() throws OrtException {
    session.close();
  }

  private record Chunk(int offset, OnnxTensor vectors, OnnxTensor norms) {}

  /** A bank prepared for search: per-chunk tensors (zero-copy views of the bank) and norms. */
  public static final class Index implements AutoCloseable {
    private final MemoryBank bank;
    private final int dim;
    private final List<Chunk> chunks = new ArrayList<>();

    private Index(MemoryBank bank, FloatBuffer all, int count, int dim, float[] norms, int chunkRows)
        throws OrtException {
      this.bank = bank;
      this.dim = dim;
      OrtEnvironment env = OrtSessions.environment();
      try {
        for (int off = 0; off < count; off += chunkRows) {
          int rows = Math.min(chunkRows, count - off);
          FloatBuffer slice = all.duplicate().position(off * dim).limit((off + rows) * dim).slice();
          FloatBuffer n = ByteBuffer.allocateDirect(rows * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
          n.put(norms, off, rows).flip();
          chunks.add(new Chunk(off, OnnxTensor.createTensor(env, slice, new long[] {rows, dim}),
              OnnxTensor.createTensor(env, n, new long[] {rows})));
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
      }
      chunks.clear();
    }
  }
}
