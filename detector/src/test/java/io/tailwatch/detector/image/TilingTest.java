package io.tailwatch.detector.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class TilingTest {
  @Test
  void windowsCoverTheFrameWithTheLastFlushToTheEdge() {
    // 4096 x 256 fabric strip, tiles 256 every 192: x = 0, 192, ..., 3648, then 3840 flush
    List<Tiling.Window> w = new Tiling(256, 192).windows(4096, 256);
    assertThat(w).hasSize(21);
    assertThat(w.get(0)).isEqualTo(new Tiling.Window(0, 0, 256, 256));
    assertThat(w.get(19).x()).isEqualTo(19 * 192);
    assertThat(w.get(20)).isEqualTo(new Tiling.Window(3840, 0, 256, 256));
    // exact fit: 512 / 256 without overlap is 2 x 2
    assertThat(new Tiling(256, 256).windows(512, 512))
        .extracting(t -> t.x() + "," + t.y())
        .containsExactly("0,0", "256,0", "0,256", "256,256");
    // an axis shorter than a tile is one window of its own length (KolektorSDD: 200 x 512)
    assertThat(new Tiling(256, 256).windows(200, 512))
        .containsExactly(new Tiling.Window(0, 0, 200, 256), new Tiling.Window(0, 256, 200, 256));
  }

  @Test
  void everyPixelIsCoveredForAnySize() {
    Tiling t = new Tiling(64, 40);
    for (int width = 1; width < 300; width += 7) {
      for (int height : new int[] {1, 63, 64, 65, 129, 250}) {
        int[] cover = new int[width * height];
        for (Tiling.Window w : t.windows(width, height)) {
          assertThat(w.x() + w.width()).isLessThanOrEqualTo(width);
          assertThat(w.y() + w.height()).isLessThanOrEqualTo(height);
          for (int y = w.y(); y < w.y() + w.height(); y++) {
            for (int x = w.x(); x < w.x() + w.width(); x++) {
              cover[y * width + x]++;
            }
          }
        }
        for (int c : cover) {
          assertThat(c).as(width + "x" + height).isPositive();
        }
      }
    }
  }

  @Test
  void cropCopiesEveryChannelOfTheWindow() {
    int w = 5;
    int h = 4;
    float[] data = new float[3 * w * h];
    for (int i = 0; i < data.length; i++) {
      data[i] = i;
    }
    FloatImage img = new FloatImage(w, h, 3, data);
    FloatImage c = Tiling.crop(img, new Tiling.Window(1, 2, 3, 2));
    assertThat(c.width()).isEqualTo(3);
    assertThat(c.height()).isEqualTo(2);
    for (int ch = 0; ch < 3; ch++) {
      for (int y = 0; y < 2; y++) {
        for (int x = 0; x < 3; x++) {
          assertThat(c.get(ch, y, x)).isEqualTo(img.get(ch, y + 2, x + 1));
        }
      }
    }
  }

  @Test
  void stitchAveragesOverlapsAndPlacesEachTileMap() {
    // two 4x4 tiles overlapping by 2 columns on a 6x4 frame; constant maps 1 and 3
    Tiling t = new Tiling(16, 16);
    List<Tiling.Window> windows =
        List.of(new Tiling.Window(0, 0, 4, 4), new Tiling.Window(2, 0, 4, 4));
    List<float[]> maps = new ArrayList<>();
    maps.add(new float[] {1, 1, 1, 1});
    maps.add(new float[] {3, 3, 3, 3});
    float[] out = Tiling.stitch(windows, maps, 2, 6, 4);
    for (int y = 0; y < 4; y++) {
      assertThat(out[y * 6]).isCloseTo(1f, offset(1e-6f));
      assertThat(out[y * 6 + 2]).isCloseTo(2f, offset(1e-6f)); // both tiles: mean
      assertThat(out[y * 6 + 3]).isCloseTo(2f, offset(1e-6f));
      assertThat(out[y * 6 + 5]).isCloseTo(3f, offset(1e-6f));
    }
    assertThat(t.toString()).contains("16");
  }

  @Test
  void badTilingsAreRefusedNamingTheLimit() {
    assertThatThrownBy(() -> new Tiling(8, 8)).hasMessageContaining("at least 16");
    assertThatThrownBy(() -> new Tiling(64, 65)).hasMessageContaining("[1, tile size 64]");
    assertThatThrownBy(() -> new Tiling(64, 0)).hasMessageContaining("stride");
  }
}
