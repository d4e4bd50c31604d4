package io.tailwatch.detector.features;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tailwatch.detector.testing.SharedFixtures;
import io.tailwatch.detector.testing.TinyBackbone;
import io.tailwatch.detector.util.Progress;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelStoreTest {
  @TempDir Path dir;

  @Test
  void derivesTheFeatureBackboneFromTheZooFile() throws Exception {
    Files.copy(SharedFixtures.modelFile(ModelStore.ZOO_FILE), dir.resolve(ModelStore.ZOO_FILE));
    Path features =
        ModelStore.ensureBackbone(
            dir, List.of(), Progress.NONE); // no download: the zoo file is there
    BackboneModel model = BackboneModel.load(features);
    assertThat(model.layer("feat_s8").channels()).isEqualTo(32);
    assertThat(model.layer("feat_s16").height()).isEqualTo(14);
    // a second call finds it and does nothing
    long modified = Files.getLastModifiedTime(features).toMillis();
    assertThat(ModelStore.ensureBackbone(dir, List.of(), Progress.NONE)).isEqualTo(features);
    assertThat(Files.getLastModifiedTime(features).toMillis()).isEqualTo(modified);
  }

  @Test
  void refusesAModelThatIsNotTheZoosMobileNet() throws Exception {
    Path tiny = TinyBackbone.write(dir, ModelStore.ZOO_FILE);
    assertThatThrownBy(() -> ModelStore.derive(tiny, dir.resolve("out.onnx")))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("expected [N, 3, 224, 224]");
    Files.writeString(dir.resolve("junk.onnx"), "definitely not protobuf \u0000\u0001");
    assertThatThrownBy(() -> ModelStore.derive(dir.resolve("junk.onnx"), dir.resolve("out.onnx")))
        .isInstanceOf(IOException.class);
    assertThat(dir.resolve("out.onnx")).doesNotExist();
  }

  @Test
  void aFailedDownloadSaysWhatToDo() {
    Path empty = dir.resolve("models");
    assertThatThrownBy(
            () ->
                ModelStore.ensureBackbone(
                    empty, List.of(URI.create("http://127.0.0.1:9/none.onnx")), Progress.NONE))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("could not download")
        .hasMessageContaining("TAILWATCH_MODEL_DIR");
    assertThat(empty.resolve(ModelStore.ZOO_FILE)).doesNotExist();
  }

  @Test
  void everyCommandLooksInTheSameThreePlaces() {
    Path explicit = Path.of("/opt/models");
    assertThat(ModelStore.modelDir(explicit)).isEqualTo(explicit);
    assertThat(ModelStore.modelDir(null)).isEqualTo(ModelStore.defaultDir());
    assertThat(ModelStore.defaultDir(java.util.Optional.of(Path.of("/env/models")), "/home/u"))
        .isEqualTo(Path.of("/env/models"));
    assertThat(ModelStore.defaultDir(java.util.Optional.empty(), "/home/u"))
        .isEqualTo(Path.of("/home/u/.tailwatch/models"));
  }
}
