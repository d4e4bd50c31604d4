package io.tailwatch.flink.config;

/** A setting is missing or wrong; the message starts with the key. */
public final class InvalidConfigException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;
  private final String key;

  public InvalidConfigException(String key, String problem) {
    super(key + ": " + problem);
    this.key = key;
  }

  public String key() {
    return key;
  }
}
