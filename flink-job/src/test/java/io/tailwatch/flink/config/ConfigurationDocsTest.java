package io.tailwatch.flink.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** docs/configuration.md is generated from TailwatchOptions; this fails when the two disagree. */
class ConfigurationDocsTest {
  static final Path DOC = Path.of("..", "docs", "configuration.md");

  @Test
  void theCommittedDocumentIsWhatTheOptionsRender() throws Exception {
    String rendered = ConfigurationDocs.markdown();
    if (Boolean.getBoolean("tailwatch.docs.regenerate")) {
      Files.writeString(DOC, rendered);
    }
    assertThat(DOC)
        .as(
            "docs/configuration.md: regenerate with ./mvnw -pl flink-job test "
                + "-Dtest=ConfigurationDocsTest -Dtailwatch.docs.regenerate=true")
        .exists();
    assertThat(Files.readString(DOC))
        .as(
            "docs/configuration.md is stale: regenerate with ./mvnw -pl flink-job "
                + "test -Dtest=ConfigurationDocsTest -Dtailwatch.docs.regenerate=true")
        .isEqualTo(rendered);
  }

  @Test
  void everyDeclaredOptionIsKnownToTheConfigAndDocumented() {
    assertThat(ConfigurationDocs.optionFields())
        .extracting(ConfigurationDocs::option)
        .containsExactlyInAnyOrderElementsOf(TailwatchOptions.all());
    String rendered = ConfigurationDocs.markdown();
    for (var option : TailwatchOptions.all()) {
      assertThat(rendered).contains("| `" + option.key() + "` |");
      assertThat(option.description().getBlocks())
          .as(option.key() + " has a description")
          .isNotEmpty();
    }
  }
}
