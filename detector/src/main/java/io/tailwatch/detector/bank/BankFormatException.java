package io.tailwatch.detector.bank;

import java.io.IOException;

/**
 * A bank file that is corrupt, truncated, of another format version, or made for another backbone.
 */
public class BankFormatException extends IOException {
  public BankFormatException(String message) {
    super(message);
  }

  public BankFormatException(String message, Throwable cause) {
    super(message, cause);
  }
}
