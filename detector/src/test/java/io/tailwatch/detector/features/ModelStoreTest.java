package io.tailwatch.detector.features;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnx.proto.OnnxMl;
import io.tailwatch.detector.testing.SharedFixtures;
import io.tailwatch.detector.testing.TinyBackbone;
import io.tailwatch.detector.util.Progress;
import io.tailwatch.detector.util.SharedDirs;
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

  /**
   * The identity of a backbone is its graph and weights: the zoo file written again with other node
   * names and producer is accepted, and a features model derived from it fits banks of the shared
   * copy; one changed weight is another model.
   */
  @Test
  void aBackboneIsKnownByItsGraphAndWeightsNotItsBytes() throws Exception {
    OnnxMl.ModelProto zoo =
        OnnxMl.ModelProto.parseFrom(
            Files.readAllBytes(SharedFixtures.modelFile(ModelStore.ZOO_FILE)));
    OnnxMl.ModelProto.Builder renamed = zoo.toBuilder().setProducerName("re-exported");
    for (OnnxMl.NodeProto.Builder n : renamed.getGraphBuilder().getNodeBuilderList()) {
      n.setName("renamed_" + n.getName());
    }
    Path copy = Files.write(dir.resolve("copy.onnx"), renamed.build().toByteArray());
    Path derived = dir.resolve("derived.onnx");
    ModelStore.derive(copy, derived);
    BackboneModel ours = BackboneModel.load(derived);
    BackboneModel shared =
        BackboneModel.load(SharedFixtures.modelFile(SharedDirs.DEFAULT_BACKBONE_FILE));
    assertThat(ours.sha256()).isNotEqualTo(shared.sha256());
    assertThat(ours.graphSha256()).isEqualTo(shared.graphSha256());

    OnnxMl.ModelProto.Builder tampered = zoo.toBuilder();
    OnnxMl.TensorProto.Builder w =
        tampered.getGraphBuilder().getInitializerBuilderList().stream()
            .filter(t -> t.getRawData().size() > 0)
            .findFirst()
            .orElseThrow();
    byte[] raw = w.getRawData().toByteArray();
    raw[0] ^= 1;
    w.setRawData(com.google.protobuf.ByteString.copyFrom(raw));
    assertThat(BackboneModel.graphSha256(tampered.build()))
        .isNotEqualTo(ModelStore.ZOO_GRAPH_SHA256);
    Path other = Files.write(dir.resolve("other.onnx"), tampered.build().toByteArray());
    assertThatThrownBy(() -> ModelStore.derive(other, dir.resolve("out.onnx")))
        .hasMessageContaining("is not the ONNX Model Zoo's");
  }

  @Test
  void refusesAModelThatIsNotTheZoosMobileNet() throws Exception {
    Path tiny = TinyBackbone.write(dir, ModelStore.ZOO_FILE);
    assertThatThrownBy(() -> ModelStore.derive(tiny, dir.resolve("out.onnx")))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("is not the ONNX Model Zoo's mobilenetv2-12-int8.onnx")
        .hasMessageContaining("expected " + ModelStore.ZOO_GRAPH_SHA256)
        .hasMessageContaining("--accept-unverified");
    // accepted unverified, its graph is still checked
    assertThatThrownBy(() -> ModelStore.derive(tiny, dir.resolve("out.onnx"), true))
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
