package io.tailwatch.flink.config;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;

/**
 * Kafka client settings the job passes through unchanged to its source and sinks
 * (security.protocol, sasl.*, ssl.*, client tuning), read from {@code kafka.properties-file}.
 * Settings the job owns are refused so a file cannot silently break exactly-once. Secrets are never
 * printed: {@link #redacted} masks them.
 */
public final class KafkaClientProperties {
  /** Set by the job itself; a file that sets them is refused. */
  static final Set<String> OWNED =
      Set.of(
          "bootstrap.servers",
          "group.id",
          "isolation.level",
          "transactional.id",
          "transaction.timeout.ms",
          "enable.auto.commit",
          "key.deserializer",
          "value.deserializer",
          "key.serializer",
          "value.serializer",
          "enable.idempotence",
          "max.request.size");

  private KafkaClientProperties() {}

  public static Properties load(String file) {
    Properties p = new Properties();
    if (file == null || file.isBlank()) {
      return p;
    }
    Path path = Path.of(file);
    try (Reader in = Files.newBufferedReader(path)) {
      p.load(in);
    } catch (IOException e) {
      throw new InvalidConfigException(
          TailwatchOptions.KAFKA_PROPERTIES_FILE.key(), "cannot read " + path + ": " + e);
    }
    for (String key : p.stringPropertyNames()) {
      if (OWNED.contains(key)) {
        throw new InvalidConfigException(
            TailwatchOptions.KAFKA_PROPERTIES_FILE.key(),
            path
                + " sets '"
                + key
                + "', which the job sets itself (use the job's own option for it)");
      }
    }
    return p;
  }

  /** True for keys whose values must never be logged. */
  public static boolean isSecret(String key) {
    String k = key.toLowerCase(Locale.ROOT);
    return k.contains("password")
        || k.contains("secret")
        || k.contains("jaas")
        || k.endsWith(".key")
        || k.contains("token")
        || k.contains("credential");
  }

  /** A printable copy, secrets replaced by {@code ******}. */
  public static Map<String, String> redacted(Map<?, ?> values) {
    Map<String, String> out = new TreeMap<>();
    values.forEach(
        (k, v) ->
            out.put(String.valueOf(k), isSecret(String.valueOf(k)) ? "******" : String.valueOf(v)));
    return out;
  }
}
