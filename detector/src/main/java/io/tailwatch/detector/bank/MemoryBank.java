package io.tailwatch.detector.bank;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.tailwatch.detector.features.BackboneModel;
import io.tailwatch.detector.features.PatchEmbeddingSpec;
import io.tailwatch.detector.util.Hashing;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;
import java.util.Set;

/**
 * A memory bank of patch vectors, kept apart from any model graph so it can be swapped at run time.
 *
 * <p>File format ({@code .twb}), all little-endian:
 *
 * <pre>
 *   0   8 bytes  magic "TWBANK" 0x00 0x01
 *   8   int32    header length H
 *   12  H bytes  UTF-8 JSON {@link BankHeader}
 *   ..  zero padding to a multiple of 64
 *   B   count * dimension float32 vectors, row-major (B = 12 + H rounded up to 64)
 *   ..  count float32 weights, only when the header's patchWeights is set (SoftPatch)
 *   ..  lists * dimension float32 centroids, then lists + 1 int32 list offsets, only when the
 *       header's index is "ivf" (the vectors are then stored grouped by list, {@link IvfLayout})
 * </pre>
 *
 * The body's SHA-256 is in the header and is checked at load. Loading maps the body read-only; the
 * vectors are a direct buffer ONNX Runtime reads without copying.
 *
 * <p>Our own format rather than .npy or a serialisation library: it must carry the backbone's
 * identity and the body checksum in a readable header, and align the body so it can be mapped and
 * handed to ONNX Runtime as is.
 */
public final class MemoryBank {
  static final byte[] MAGIC = {'T', 'W', 'B', 'A', 'N', 'K', 0, 1};
  static final int MAX_HEADER_BYTES = 1 << 20;
  static final int ALIGN = 64;

  private static final ObjectMapper JSON =
      JsonMapper.builder()
          .addModule(new JavaTimeModule())
          .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .build();

  private final BankHeader header;
  private final FloatBuffer vectors;
  private final float[] weights;
  private final IvfLayout ivf;
  private volatile float[] norms;

  private MemoryBank(BankHeader header, FloatBuffer vectors, float[] weights, IvfLayout ivf) {
    this.header = header;
    this.vectors = vectors;
    this.weights = weights;
    this.ivf = ivf;
  }

  /**
   * The same bank with its rows in {@code order} (row {@code i} of the result is row {@code
   * order[i]} of this one) and an IVF index over them; the body checksum covers the index too.
   */
  public MemoryBank withIvf(int[] order, IvfLayout layout) {
    int n = count();
    int d = dim();
    if (order.length != n || layout.count() != n || layout.dim() != d) {
      throw new IllegalArgumentException(
          "ivf over "
              + layout.count()
              + " x "
              + layout.dim()
              + " with "
              + order.length
              + " rows for a "
              + n
              + " x "
              + d
              + " bank");
    }
    float[] data = new float[n * d];
    float[] w = weights == null ? null : new float[n];
    boolean[] seen = new boolean[n];
    FloatBuffer all = vectors();
    for (int i = 0; i < n; i++) {
      int from = order[i];
      if (from < 0 || from >= n || seen[from]) {
        throw new IllegalArgumentException("ivf order is not a permutation (row " + from + ")");
      }
      seen[from] = true;
      all.get(from * d, data, i * d, d);
      if (w != null) {
        w[i] = weights[from];
      }
    }
    return create(
        header.withIndex(new BankHeader.IndexInfo(BankHeader.IndexInfo.IVF, layout.lists())),
        data,
        n,
        w,
        layout);
  }

  /** The IVF index stored with this bank, or null. */
  public IvfLayout ivf() {
    return ivf;
  }

  /** Vectors, weights and index as one direct body; the header gets its count and checksum. */
  private static MemoryBank create(
      BankHeader header, float[] data, int count, float[] weights, IvfLayout ivf) {
    int dim = header.dimension();
    long vectorBytes = (long) count * dim * 4;
    long bytesTotal =
        vectorBytes + (weights == null ? 0 : count * 4L) + (ivf == null ? 0 : ivf.bodyBytes());
    if (bytesTotal > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(
          "bank body of " + bytesTotal + " bytes exceeds the 2 GiB limit");
    }
    ByteBuffer bytes = ByteBuffer.allocateDirect((int) bytesTotal).order(ByteOrder.LITTLE_ENDIAN);
    bytes.asFloatBuffer().put(data, 0, count * dim);
    bytes.position((int) vectorBytes);
    if (weights != null) {
      bytes.asFloatBuffer().put(weights);
      bytes.position(bytes.position() + count * 4);
    }
    if (ivf != null) {
      bytes.asFloatBuffer().put(ivf.centroids());
      bytes.position(bytes.position() + ivf.centroids().length * 4);
      bytes.asIntBuffer().put(ivf.offsets());
    }
    bytes.clear();
    String sha = Hashing.sha256(bytes);
    bytes.clear().limit((int) vectorBytes);
    return new MemoryBank(
        header.withBody(count, sha),
        bytes.slice().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer(),
        weights == null ? null : weights.clone(),
        ivf);
  }

  /**
   * A bank whose nearest-neighbour distance is multiplied by the matched vector's weight
   * (SoftPatch's LOF-weighted distance). {@code weights} has one positive value per vector.
   */
  public static MemoryBank weighted(BankHeader header, float[] data, int count, float[] weights) {
    if (weights.length != count) {
      throw new IllegalArgumentException(
          count + " vectors need " + count + " weights, got " + weights.length);
    }
    for (float w : weights) {
      if (!(w > 0) || !Float.isFinite(w)) {
        throw new IllegalArgumentException("bank weights must be finite and positive, found " + w);
      }
    }
    int dim = header.dimension();
    if (dim <= 0 || (long) count * dim > data.length) {
      throw new IllegalArgumentException(
          "need "
              + (long) count * dim
              + " values for "
              + count
              + " x "
              + dim
              + ", have "
              + data.length);
    }
    return create(
        header.withPatchWeights(
            header.patchWeights() == null ? BankHeader.LOF_WEIGHTS : header.patchWeights()),
        data,
        count,
        weights,
        null);
  }

  /** Per-vector distance weights, or null for a plain PatchCore bank. */
  public float[] weights() {
    return weights;
  }

  /**
   * A bank over vectors in memory (copied into a direct buffer); the header's count and checksum
   * are set.
   */
  public static MemoryBank of(BankHeader header, float[] data, int count) {
    int dim = header.dimension();
    if (dim <= 0 || (long) count * dim > data.length) {
      throw new IllegalArgumentException(
          "need "
              + (long) count * dim
              + " values for "
              + count
              + " x "
              + dim
              + ", have "
              + data.length);
    }
    return create(header.withPatchWeights(null), data, count, null, null);
  }

  public BankHeader header() {
    return header;
  }

  /**
   * The same vectors with a score calibration in the header (the body and its checksum are
   * unchanged).
   */
  public MemoryBank withCalibration(java.util.Map<String, Double> calibration) {
    return new MemoryBank(header.withCalibration(calibration), vectors, weights, ivf);
  }

  /** The same vectors under another version name. */
  public MemoryBank withVersion(String version) {
    return new MemoryBank(header.withBankVersion(version), vectors, weights, ivf);
  }

  /** The same vectors with other method parameters in the header. */
  public MemoryBank withParams(java.util.Map<String, Object> params) {
    return new MemoryBank(header.withParams(params), vectors, weights, ivf);
  }

  public int dim() {
    return header.dimension();
  }

  public int count() {
    return (int) header.count();
  }

  /** Read-only direct view of all vectors (position 0). */
  public FloatBuffer vectors() {
    return vectors.duplicate().clear();
  }

  public void vector(int i, float[] dst, int offset) {
    vectors.get(i * dim(), dst, offset, dim());
  }

  /** Squared L2 norm of every vector, computed once. */
  public float[] norms() {
    float[] n = norms;
    if (n == null) {
      int d = dim();
      n = new float[count()];
      float[] row = new float[d];
      for (int i = 0; i < n.length; i++) {
        vectors.get(i * d, row, 0, d);
        float s = 0;
        for (float v : row) {
          s += v * v;
        }
        n[i] = s;
      }
      norms = n;
    }
    return n;
  }

  /**
   * Throws unless this bank's vectors were produced by exactly this backbone and embedding. Scoring
   * a frame against a bank of another backbone gives meaningless distances without any error, so
   * this is checked.
   */
  public void requireCompatible(BackboneModel backbone, PatchEmbeddingSpec spec)
      throws BankFormatException {
    BankHeader.Backbone expected = BankHeader.Backbone.of(backbone, spec);
    BankHeader.Backbone actual = header.backbone();
    if (!expected.sameModel(actual)) {
      throw new BankFormatException(
          "bank "
              + header.bankVersion()
              + " was built with backbone "
              + actual.id()
              + " but the loaded backbone is "
              + expected.id()
              + (actual.graphSha256() == null
                  ? " (file sha256 differs; the bank predates graph identities)"
                  : " (another graph or other weights: graph sha256 "
                      + actual.graphSha256().substring(0, 12)
                      + " vs "
                      + expected.graphSha256().substring(0, 12)
                      + ")")
              + "; refit the bank or load that model");
    }
    if (!expected.layers().equals(actual.layers())
        || expected.pretrainDim() != actual.pretrainDim()
        || expected.targetDim() != actual.targetDim()
        || expected.patchSize() != actual.patchSize()) {
      throw new BankFormatException(
          "bank "
              + header.bankVersion()
              + " embedding (layers "
              + actual.layers()
              + ", pretrain "
              + actual.pretrainDim()
              + ", dim "
              + actual.targetDim()
              + ") does not match the configured"
              + " embedding (layers "
              + expected.layers()
              + ", pretrain "
              + expected.pretrainDim()
              + ", dim "
              + expected.targetDim()
              + ")");
    }
  }

  /**
   * Writes atomically: a temporary file in the same folder, fsynced, then renamed over {@code
   * path}. The file is readable by everyone (0644): task managers often run as another user (the
   * Flink image's uid 9999).
   */
  public void write(Path path) throws IOException {
    write(path, DEFAULT_PERMISSIONS);
  }

  /** Bank files are rw-r--r-- unless a caller asks otherwise. */
  public static final Set<PosixFilePermission> DEFAULT_PERMISSIONS =
      PosixFilePermissions.fromString("rw-r--r--");

  /**
   * As {@link #write(Path)}, with the given POSIX permissions (ignored on file systems without
   * them).
   */
  public void write(Path path, Set<PosixFilePermission> permissions) throws IOException {
    byte[] json = JSON.writeValueAsBytes(header);
    if (json.length > MAX_HEADER_BYTES) {
      throw new IOException("bank header is " + json.length + " bytes, over " + MAX_HEADER_BYTES);
    }
    int bodyOffset = bodyOffset(json.length);
    ByteBuffer head = ByteBuffer.allocate(bodyOffset).order(ByteOrder.LITTLE_ENDIAN);
    head.put(MAGIC).putInt(json.length).put(json).position(bodyOffset).flip();
    int weightCount = weights == null ? 0 : count();
    long ivfBytes = ivf == null ? 0 : ivf.bodyBytes();
    ByteBuffer body =
        ByteBuffer.allocate((int) ((count() * dim() + weightCount) * 4L + ivfBytes))
            .order(ByteOrder.LITTLE_ENDIAN);
    body.asFloatBuffer().put(vectors()).put(weights == null ? new float[0] : weights);
    if (ivf != null) {
      body.position((count() * dim() + weightCount) * 4);
      body.asFloatBuffer().put(ivf.centroids());
      body.position(body.position() + ivf.centroids().length * 4);
      body.asIntBuffer().put(ivf.offsets());
      body.clear();
    }
    Path dir = path.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    Path tmp = Files.createTempFile(dir, "." + path.getFileName(), ".tmp");
    try {
      try (FileChannel ch =
          FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
        while (head.hasRemaining()) {
          ch.write(head);
        }
        while (body.hasRemaining()) {
          ch.write(body);
        }
        ch.force(true);
      }
      if (Files.getFileAttributeView(tmp, PosixFileAttributeView.class) != null) {
        // createTempFile makes 0600 files
        Files.setPosixFilePermissions(tmp, permissions);
      }
      try {
        Files.move(tmp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /**
   * {@link #load(Path)}, and the body checksum must also equal {@code expectedSha256} (an announced
   * bank), when that is not null.
   */
  public static MemoryBank load(Path path, String expectedSha256) throws IOException {
    MemoryBank bank = load(path);
    if (expectedSha256 != null && !expectedSha256.equals(bank.header().bodySha256())) {
      throw new BankFormatException(
          path
              + ": body checksum "
              + bank.header().bodySha256()
              + " differs from the announced "
              + expectedSha256);
    }
    return bank;
  }

  /** Maps a bank file, validating magic, version, sizes and the body checksum. */
  public static MemoryBank load(Path path) throws IOException {
    Objects.requireNonNull(path, "path");
    if (!Files.isRegularFile(path)) {
      throw new BankFormatException("bank file not found: " + path.toAbsolutePath());
    }
    try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
      long size = ch.size();
      if (size < 12) {
        throw new BankFormatException(
            path + ": not a tailwatch bank (" + size + " bytes, too short for a header)");
      }
      ByteBuffer start = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
      ch.read(start, 0);
      start.flip();
      byte[] magic = new byte[8];
      start.get(magic);
      if (!Arrays.equals(Arrays.copyOf(magic, 7), Arrays.copyOf(MAGIC, 7))) {
        throw new BankFormatException(
            path + ": not a tailwatch bank (bad magic " + HexFormat.of().formatHex(magic) + ")");
      }
      if (magic[7] != MAGIC[7]) {
        throw new BankFormatException(
            path
                + ": bank format version "
                + magic[7]
                + " is not supported (this build reads "
                + MAGIC[7]
                + ")");
      }
      int headerLength = start.getInt();
      if (headerLength <= 0 || headerLength > MAX_HEADER_BYTES || 12L + headerLength > size) {
        throw new BankFormatException(
            path
                + ": corrupt bank header length "
                + headerLength
                + " (file has "
                + size
                + " bytes)");
      }
      ByteBuffer json = ByteBuffer.allocate(headerLength);
      ch.read(json, 12);
      BankHeader header;
      try {
        header = JSON.readValue(new String(json.array(), StandardCharsets.UTF_8), BankHeader.class);
      } catch (IOException e) {
        throw new BankFormatException(path + ": corrupt bank header: " + e.getMessage(), e);
      }
      if (header.dimension() <= 0
          || header.count() <= 0
          || header.backbone() == null
          || header.bodySha256() == null) {
        throw new BankFormatException(
            path + ": bank header lacks dimension/count/backbone/checksum");
      }
      long bodyOffset = bodyOffset(headerLength);
      if (header.index() != null && !header.hasIvf()) {
        throw new BankFormatException(
            path
                + ": unknown bank index type '"
                + header.index().type()
                + "' (this build reads ivf)");
      }
      int lists = header.hasIvf() ? header.index().lists() : 0;
      if (header.hasIvf() && (lists < 1 || lists > header.count())) {
        throw new BankFormatException(
            path + ": ivf lists " + lists + " outside [1, " + header.count() + "]");
      }
      long indexBytes = header.hasIvf() ? IvfLayout.bodyBytes(lists, header.dimension()) : 0;
      long bodyBytes =
          header.count() * (header.dimension() + (header.weighted() ? 1L : 0L)) * 4L + indexBytes;
      if (bodyBytes > Integer.MAX_VALUE) {
        throw new BankFormatException(
            path + ": bank body of " + bodyBytes + " bytes exceeds the 2 GiB limit");
      }
      if (size != bodyOffset + bodyBytes) {
        throw new BankFormatException(
            path
                + ": bank is "
                + size
                + " bytes but its header ("
                + header.count()
                + " x "
                + header.dimension()
                + " float32"
                + (header.hasIvf() ? ", ivf " + lists + " lists" : "")
                + ") needs "
                + (bodyOffset + bodyBytes)
                + (size < bodyOffset + bodyBytes ? " (truncated)" : ""));
      }
      ByteBuffer body =
          ch.map(FileChannel.MapMode.READ_ONLY, bodyOffset, bodyBytes)
              .order(ByteOrder.LITTLE_ENDIAN);
      String sha = Hashing.sha256(body);
      if (!sha.equals(header.bodySha256())) {
        throw new BankFormatException(
            path
                + ": bank body checksum mismatch (header "
                + header.bodySha256()
                + ", body "
                + sha
                + "): the file is corrupt");
      }
      float[] weights = null;
      long vectorBytes = header.count() * header.dimension() * 4L;
      IvfLayout ivf = null;
      if (header.hasIvf()) {
        ByteBuffer tail =
            body.duplicate()
                .position((int) (bodyBytes - indexBytes))
                .slice()
                .order(ByteOrder.LITTLE_ENDIAN);
        float[] centroids = new float[lists * header.dimension()];
        tail.asFloatBuffer().get(centroids);
        int[] offsets = new int[lists + 1];
        tail.position(centroids.length * 4)
            .slice()
            .order(ByteOrder.LITTLE_ENDIAN)
            .asIntBuffer()
            .get(offsets);
        try {
          ivf = new IvfLayout(lists, header.dimension(), centroids, offsets);
        } catch (IllegalArgumentException e) {
          throw new BankFormatException(path + ": corrupt ivf index: " + e.getMessage(), e);
        }
        if (ivf.count() != header.count()) {
          throw new BankFormatException(
              path + ": ivf lists cover " + ivf.count() + " rows, the bank has " + header.count());
        }
      }
      if (header.weighted()) {
        if (!BankHeader.LOF_WEIGHTS.equals(header.patchWeights())) {
          throw new BankFormatException(
              path + ": unknown patch weights '" + header.patchWeights() + "'");
        }
        weights = new float[(int) header.count()];
        body.duplicate()
            .order(ByteOrder.LITTLE_ENDIAN)
            .position((int) vectorBytes)
            .slice()
            .order(ByteOrder.LITTLE_ENDIAN)
            .asFloatBuffer()
            .get(weights);
      }
      body =
          body.duplicate()
              .order(ByteOrder.LITTLE_ENDIAN)
              .limit((int) vectorBytes)
              .slice()
              .order(ByteOrder.LITTLE_ENDIAN);
      return new MemoryBank(header, body.asFloatBuffer(), weights, ivf);
    }
  }

  static int bodyOffset(int headerLength) {
    return (12 + headerLength + ALIGN - 1) / ALIGN * ALIGN;
  }
}
