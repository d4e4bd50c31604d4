package io.tailwatch.detector.image;

/** The bytes are not an image we can read; the message says why (field, size, limit). */
public class ImageDecodeException extends Exception {
  public ImageDecodeException(String message) {
    super(message);
  }

  public ImageDecodeException(String message, Throwable cause) {
    super(message, cause);
  }
}
