package io.tailwatch.tools;

import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.Configuration;

/**
 * Flink's Prometheus reporter for an in-process cluster (demo): the same two settings a cluster's
 * config.yaml carries (see deploy/flink/config.yaml), with the reporter on the classpath instead of
 * in plugins/.
 */
final class PrometheusReporting {
  static final String FACTORY = "org.apache.flink.metrics.prometheus.PrometheusReporterFactory";
  static final String FACTORY_KEY = "metrics.reporter.prom.factory.class";
  static final String PORT_KEY = "metrics.reporter.prom.port";

  private PrometheusReporting() {}

  /** Adds the reporter, serving {@code http://host:port/metrics}. */
  static Configuration enable(Configuration flink, int port) {
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("--prometheus-port must be in 1..65535, got " + port);
    }
    flink.set(ConfigOptions.key(FACTORY_KEY).stringType().noDefaultValue(), FACTORY);
    flink.set(ConfigOptions.key(PORT_KEY).stringType().noDefaultValue(), Integer.toString(port));
    return flink;
  }
}
