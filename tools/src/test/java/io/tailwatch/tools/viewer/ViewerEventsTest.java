package io.tailwatch.tools.viewer;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tailwatch.schemas.Alert;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class ViewerEventsTest {
  @Test
  void anAlertBecomesJsonWithItsHeatmapAsAPngDataUrlAndItsRegions() throws Exception {
    Alert a = ViewerITCase.alert("a1", "line-1", "cam-1", 2.5);
    JsonNode json = new ObjectMapper().readTree(ViewerEvents.alert(a));
    assertThat(json.get("alertId").asText()).isEqualTo("a1");
    assertThat(json.get("score").asDouble()).isEqualTo(2.5);
    assertThat(json.get("captureTime").asLong()).isEqualTo(a.getCaptureTime().toEpochMilli());
    String url = json.get("heatmap").asText();
    assertThat(url).startsWith("data:image/png;base64,");
    byte[] png = Base64.getDecoder().decode(url.substring(url.indexOf(',') + 1));
    assertThat(png).startsWith(0x89, 'P', 'N', 'G');
    assertThat(json.get("heatmapFormat").asText()).isEqualTo("overlay");
    assertThat(json.get("heatmapHigh").asDouble()).isEqualTo(1.0);
    assertThat(json.get("regions")).hasSize(1);
    assertThat(json.get("regions").get(0).get("width").asInt()).isEqualTo(24);
    assertThat(a.getHeatmapPng().remaining())
        .as("the record's buffer is left unread")
        .isEqualTo(png.length);
  }
}
