package io.tailwatch.flink.ingest;

import io.tailwatch.schemas.DeadLetterReason;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.regex.Pattern;
import org.apache.flink.core.fs.FileStatus;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;

/**
 * Claim-check references, read through Flink's {@link FileSystem}, so that {@code file:}, {@code
 * s3:}, {@code hdfs:}, {@code gs:} ... work with the filesystem plugins the cluster has. A
 * reference must lie under the configured root (same scheme and authority, its normalised path
 * below the root's; for {@code file:} no symbolic link leading outside it either), and the object
 * read must have the SHA-256 the record states. Every refusal is a {@link FrameRejectedException}
 * naming the reference, for frames and cubes alike.
 */
public final class ClaimChecks {
  private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-f]{64}");

  /** The root as an absolute, normalised URI whose path ends with '/'; null = refused. */
  private final URI root;

  private final boolean requireSha256;

  /**
   * The local root with its links resolved; found on first use, as the folder may be mounted after
   * start-up.
   */
  private java.nio.file.Path realLocalRoot;

  /** A reference that passed the checks: where to read and what digest to expect (or null). */
  record Reference(String uri, Path path, String sha256) {}

  /**
   * @param root a folder path or a URI ({@code s3://bucket/frames}); null = claim checks refused
   */
  ClaimChecks(String root, boolean requireSha256) {
    this.root = root == null ? null : rootUri(root);
    this.requireSha256 = requireSha256;
  }

  /** A configured root as a URI: plain paths are local folders. */
  public static URI rootUri(String configured) {
    URI uri;
    try {
      uri = URI.create(configured);
    } catch (IllegalArgumentException e) {
      uri = null;
    }
    if (uri == null || uri.getScheme() == null || uri.getScheme().length() == 1) {
      // a plain path (one-letter "schemes" are Windows drives)
      uri = java.nio.file.Path.of(configured).toAbsolutePath().normalize().toUri();
    }
    uri = uri.normalize();
    String path = uri.getPath() == null || uri.getPath().isEmpty() ? "/" : uri.getPath();
    if (!path.endsWith("/")) {
      path = path + "/";
    }
    try {
      return new URI(uri.getScheme(), uri.getAuthority(), path, null, null);
    } catch (java.net.URISyntaxException e) {
      throw new IllegalArgumentException("claim-check.root is not a usable URI: " + configured, e);
    }
  }

  /**
   * Checks a reference (where it points first, then its digest field) without reading the object.
   */
  Reference resolve(String uriText, CharSequence sha256) throws FrameRejectedException {
    if (root == null) {
      throw unreadable(
          "payloadUri set but claim checks are off (claim-check.root is not configured)");
    }
    URI uri;
    try {
      uri = URI.create(uriText).normalize();
    } catch (IllegalArgumentException e) {
      throw unreadable("payloadUri is not a URI: " + uriText);
    }
    if (uri.getScheme() == null || !uri.getScheme().equalsIgnoreCase(root.getScheme())) {
      throw unreadable(
          "payloadUri scheme must be "
              + root.getScheme()
              + ": (that of claim-check.root "
              + root
              + "), was "
              + uri.getScheme());
    }
    String path = uri.getPath();
    if (!sameAuthority(uri.getAuthority(), root.getAuthority())
        || path == null
        || !path.startsWith(root.getPath())
        || path.contains("/../")
        || path.endsWith("/..")) {
      throw unreadable("payloadUri " + uriText + " is outside claim-check.root " + root);
    }
    if ("file".equalsIgnoreCase(uri.getScheme())) {
      checkNoLinkOut(uriText, uri);
    }
    return new Reference(uriText, new Path(uri), checkDigest(uriText, sha256));
  }

  /** Size of the object, without reading it: cheap enough for the ingest checks. */
  long size(Reference ref) throws FrameRejectedException {
    try {
      FileStatus status = ref.path().getFileSystem().getFileStatus(ref.path());
      if (status.isDir()) {
        throw unreadable("payloadUri " + ref.uri() + " is a folder, not an object");
      }
      return status.getLen();
    } catch (IOException e) {
      throw unreadable("payloadUri " + ref.uri() + " cannot be read: " + e);
    }
  }

  /**
   * Reads the object, at most {@code maxBytes} (a larger one is refused without reading on), and
   * checks its SHA-256 against the record's.
   */
  byte[] read(Reference ref, long maxBytes) throws FrameRejectedException {
    MessageDigest sha = sha256();
    byte[] bytes;
    try (InputStream raw = ref.path().getFileSystem().open(ref.path());
        InputStream in = new DigestInputStream(raw, sha)) {
      bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxBytes + 1));
    } catch (IOException e) {
      throw unreadable("payloadUri " + ref.uri() + " cannot be read: " + e);
    }
    if (bytes.length > maxBytes) {
      throw new FrameRejectedException(
          DeadLetterReason.PAYLOAD_TOO_LARGE,
          "payloadUri "
              + ref.uri()
              + " holds more than limits.max-payload-bytes = "
              + maxBytes
              + " bytes");
    }
    if (ref.sha256() != null) {
      String actual = HexFormat.of().formatHex(sha.digest());
      if (!actual.equals(ref.sha256())) {
        throw unreadable(
            "payloadUri "
                + ref.uri()
                + ": the object's sha256 is "
                + actual
                + " but payloadSha256 says "
                + ref.sha256()
                + " (changed or corrupted after it was sent)");
      }
    }
    return bytes;
  }

  /** Lower-case hex SHA-256 of some bytes, as producers put it in payloadSha256. */
  public static String sha256Hex(byte[] bytes) {
    return HexFormat.of().formatHex(sha256().digest(bytes));
  }

  private String checkDigest(String uriText, CharSequence sha256) throws FrameRejectedException {
    if (sha256 == null) {
      if (requireSha256) {
        throw new FrameRejectedException(
            DeadLetterReason.INVALID_FIELD,
            "payloadSha256 must be set with payloadUri "
                + uriText
                + " (claim-check.require-sha256 is true)");
      }
      return null;
    }
    String digest = sha256.toString().toLowerCase(Locale.ROOT);
    if (!SHA256_HEX.matcher(digest).matches()) {
      throw new FrameRejectedException(
          DeadLetterReason.INVALID_FIELD,
          "payloadSha256 must be 64 hex digits, was '"
              + (digest.length() > 80 ? digest.substring(0, 80) + "..." : digest)
              + "'");
    }
    return digest;
  }

  /** A symbolic link inside a local root must not lead outside it. */
  private void checkNoLinkOut(String uriText, URI uri) throws FrameRejectedException {
    try {
      java.nio.file.Path local = java.nio.file.Path.of(uri);
      if (!Files.exists(local)) {
        return; // reported as unreadable when its size or bytes are asked for
      }
      java.nio.file.Path real = local.toRealPath();
      if (realLocalRoot == null) {
        realLocalRoot = java.nio.file.Path.of(root).toRealPath();
      }
      if (!real.startsWith(realLocalRoot)) {
        throw unreadable(
            "payloadUri "
                + uriText
                + " resolves (through a link) to "
                + real
                + ", outside claim-check.root "
                + root);
      }
    } catch (IOException | IllegalArgumentException e) {
      throw unreadable("payloadUri " + uriText + " cannot be read: " + e);
    }
  }

  private static boolean sameAuthority(String a, String b) {
    return a == null || a.isEmpty() ? b == null || b.isEmpty() : a.equalsIgnoreCase(b);
  }

  private static FrameRejectedException unreadable(String message) {
    return new FrameRejectedException(DeadLetterReason.CLAIM_CHECK_UNREADABLE, message);
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
  }
}
