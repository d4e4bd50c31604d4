package io.tailwatch.detector.util;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** SHA-256 helpers. */
public final class Hashing {
  private Hashing() {}

  public static MessageDigest sha256Digest() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK always has SHA-256", e);
    }
  }

  public static String sha256(byte[] bytes) {
    return HexFormat.of().formatHex(sha256Digest().digest(bytes));
  }

  /** Hashes the remaining bytes of a buffer without moving its position. */
  public static String sha256(ByteBuffer buffer) {
    MessageDigest d = sha256Digest();
    d.update(buffer.duplicate());
    return HexFormat.of().formatHex(d.digest());
  }
}
