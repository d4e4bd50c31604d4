package io.tailwatch.flink.ingest;

import io.tailwatch.schemas.DeadLetterReason;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;

/**
 * Resolves claim-check references ({@code file:} URIs) to files under the configured root: no other
 * scheme, no {@code ..} out of the root, no symbolic link leading outside it. Every refusal is a
 * {@link FrameRejectedException} (CLAIM_CHECK_UNREADABLE) naming the reference, for frames and
 * cubes alike.
 */
final class ClaimChecks {
  private final Path root;

  /**
   * The root with its links resolved; found on first use, as the folder may be mounted after
   * start-up.
   */
  private Path realRoot;

  /**
   * @param root null = claim checks refused
   */
  ClaimChecks(Path root) {
    this.root = root;
  }

  Path resolve(String uriText) throws FrameRejectedException {
    if (root == null) {
      throw new FrameRejectedException(
          DeadLetterReason.CLAIM_CHECK_UNREADABLE,
          "payloadUri set but claim checks are off (claim-check.root is not configured)");
    }
    URI uri;
    try {
      uri = URI.create(uriText);
    } catch (IllegalArgumentException e) {
      throw new FrameRejectedException(
          DeadLetterReason.CLAIM_CHECK_UNREADABLE, "payloadUri is not a URI: " + uriText);
    }
    if (!"file".equalsIgnoreCase(uri.getScheme())) {
      throw new FrameRejectedException(
          DeadLetterReason.CLAIM_CHECK_UNREADABLE,
          "payloadUri scheme must be file:, was " + uri.getScheme());
    }
    Path path;
    try {
      path = Path.of(uri).toAbsolutePath().normalize();
    } catch (IllegalArgumentException e) {
      throw new FrameRejectedException(
          DeadLetterReason.CLAIM_CHECK_UNREADABLE,
          "payloadUri " + uriText + " is not a file path: " + e.getMessage());
    }
    if (!path.startsWith(root)) {
      throw new FrameRejectedException(
          DeadLetterReason.CLAIM_CHECK_UNREADABLE,
          "payloadUri " + uriText + " is outside claim-check.root " + root);
    }
    // a symbolic link inside the root must not lead outside it
    try {
      Path real = path.toRealPath();
      if (realRoot == null) {
        realRoot = root.toRealPath();
      }
      if (!real.startsWith(realRoot)) {
        throw new FrameRejectedException(
            DeadLetterReason.CLAIM_CHECK_UNREADABLE,
            "payloadUri "
                + uriText
                + " resolves (through a link) to "
                + real
                + ", outside claim-check.root "
                + root);
      }
      return real;
    } catch (IOException e) {
      throw new FrameRejectedException(
          DeadLetterReason.CLAIM_CHECK_UNREADABLE,
          "payloadUri " + uriText + " cannot be read: " + e);
    }
  }
}
