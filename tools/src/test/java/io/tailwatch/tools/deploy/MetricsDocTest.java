package io.tailwatch.tools.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Every operator metric the Grafana dashboard queries is documented in docs/metrics.md with its
 * panel.
 */
class MetricsDocTest {
  static final Path ROOT = Path.of("..");
  static final Pattern OPERATOR_METRIC =
      Pattern.compile("flink_taskmanager_job_task_operator_([A-Za-z]+(?:_[A-Za-z]+)*)");

  @Test
  void everyDashboardMetricIsDocumented() throws Exception {
    JsonNode dashboard =
        new ObjectMapper()
            .readTree(ROOT.resolve("deploy/grafana/dashboards/tailwatch.json").toFile());
    Set<String> queried = new TreeSet<>();
    for (JsonNode panel : dashboard.get("panels")) {
      for (JsonNode target : panel.path("targets")) {
        Matcher m = OPERATOR_METRIC.matcher(target.path("expr").asText());
        while (m.find()) {
          queried.add(m.group(1));
        }
      }
    }
    assertThat(queried).as("operator metrics in the dashboard").isNotEmpty();
    String doc = Files.readString(ROOT.resolve("docs/metrics.md"));
    for (String name : queried) {
      // Prometheus joins Flink's metric groups with '_': line_<metric> is line.<id>.<metric>, and
      // the bank/model
      // group of detectorLoaded becomes labels
      String documented =
          name.startsWith("line_")
              ? "`line.<id>." + name.substring("line_".length()) + "`"
              : name.equals("bank_model_detectorLoaded") ? "detectorLoaded`" : "`" + name + "`";
      assertThat(doc).as("docs/metrics.md documents " + name).contains(documented);
    }
  }
}
