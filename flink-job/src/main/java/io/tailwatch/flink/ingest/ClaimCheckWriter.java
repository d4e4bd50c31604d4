package io.tailwatch.flink.ingest;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.util.Objects;
import java.util.UUID;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.FileSystem.WriteMode;
import org.apache.flink.core.fs.Path;

/**
 * The producer side of a claim check: writes a payload under a root (a local folder or any URI
 * Flink's {@link FileSystem} has a plugin for) and returns the reference and SHA-256 a record
 * carries, so the job's {@link ClaimChecks} accepts it. A reader never sees a partial object: a
 * local file is written under a temporary name and renamed; object stores publish an object whole
 * when its stream closes, and the record is only sent after that.
 */
public final class ClaimCheckWriter {
  private final URI root;

  /** What a record carries for a written payload. */
  public record Written(String uri, String sha256, long bytes) {}

  /**
   * @param root folder path or URI, the job's {@code claim-check.root} (or a folder below it)
   */
  public ClaimCheckWriter(String root) {
    this.root = ClaimChecks.rootUri(Objects.requireNonNull(root, "root"));
  }

  /** {@code root/name} as a folder URI, for writers that keep their objects apart. */
  public static String subfolder(String root, String name) {
    return ClaimChecks.rootUri(root).resolve(name + "/").toString();
  }

  /** The root as a URI (ends with '/'). */
  public URI root() {
    return root;
  }

  /** Writes a record's payload (its remaining bytes; the buffer's position is left as it is). */
  public Written write(String name, java.nio.ByteBuffer payload) throws IOException {
    return write(name, FramePayloads.bytes(payload));
  }

  /**
   * Writes {@code bytes} as {@code <root>/<name>}; {@code name} is one path segment.
   *
   * @throws IllegalArgumentException for a name that is empty or leaves the folder
   */
  public Written write(String name, byte[] bytes) throws IOException {
    if (name.isEmpty() || name.contains("/") || name.contains("\\") || name.startsWith(".")) {
      throw new IllegalArgumentException(
          "claim-check name must be one path segment not starting with '.', was '" + name + "'");
    }
    Path target = new Path(root.resolve(name));
    FileSystem fs = target.getFileSystem();
    boolean local = "file".equals(root.getScheme());
    Path written =
        local ? new Path(root.resolve("." + name + "." + UUID.randomUUID() + ".tmp")) : target;
    try (OutputStream out = fs.create(written, WriteMode.OVERWRITE)) {
      out.write(bytes);
    }
    if (local && !fs.rename(written, target)) {
      fs.delete(written, false);
      throw new IOException("cannot rename " + written + " to " + target);
    }
    return new Written(target.toUri().toString(), ClaimChecks.sha256Hex(bytes), bytes.length);
  }
}
