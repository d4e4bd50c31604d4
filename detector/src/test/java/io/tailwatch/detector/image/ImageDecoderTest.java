package io.tailwatch.detector.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

class ImageDecoderTest {
  static byte[] png(BufferedImage img) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(img, "png", out);
    return out.toByteArray();
  }

  @Test
  void decodesGrayAndColourPng() throws Exception {
    BufferedImage gray = new BufferedImage(3, 2, BufferedImage.TYPE_BYTE_GRAY);
    gray.getRaster().setSample(2, 1, 0, 255);
    FloatImage g = new ImageDecoder().decodeCompressed(png(gray));
    assertThat(g.channels()).isEqualTo(1);
    assertThat(g.get(0, 1, 2)).isEqualTo(1f);
    assertThat(g.get(0, 0, 0)).isEqualTo(0f);

    BufferedImage rgb = new BufferedImage(2, 2, BufferedImage.TYPE_INT_RGB);
    rgb.setRGB(1, 0, 0xFF8000);
    FloatImage c = new ImageDecoder().decodeCompressed(png(rgb));
    assertThat(c.channels()).isEqualTo(3);
    assertThat(c.get(0, 0, 1)).isEqualTo(1f);
    assertThat(c.get(1, 0, 1)).isCloseTo(128 / 255f, offset(1e-6f));
    assertThat(c.get(2, 0, 1)).isEqualTo(0f);
  }

  static byte[] jpeg(BufferedImage img) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(img, "jpeg", out);
    return out.toByteArray();
  }

  @Test
  void aTruncatedJpegIsAnErrorNotAGreyFilledFrame() throws Exception {
    BufferedImage img = new BufferedImage(256, 256, BufferedImage.TYPE_BYTE_GRAY);
    for (int y = 0; y < 256; y++) {
      for (int x = 0; x < 256; x++) {
        img.getRaster().setSample(x, y, 0, (x * 7 + y * 13) & 0xFF);
      }
    }
    byte[] whole = jpeg(img);
    assertThat(new ImageDecoder().decodeCompressed(whole).width()).isEqualTo(256);
    byte[] truncated = java.util.Arrays.copyOf(whole, whole.length / 2);
    assertThatThrownBy(() -> new ImageDecoder().decodeCompressed(truncated))
        .isInstanceOf(ImageDecodeException.class)
        .hasMessageContaining("JPEG");
  }

  /**
   * An Adobe CMYK JPEG (print workflows, some industrial cameras' exports): the JDK's own reader
   * refuses it.
   */
  @Test
  void decodesACmykJpeg() throws Exception {
    int w = 64;
    int h = 48;
    java.awt.image.WritableRaster cmyk =
        java.awt.image.Raster.createInterleavedRaster(
            java.awt.image.DataBuffer.TYPE_BYTE, w, h, 4, null);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        cmyk.setPixel(x, y, new int[] {0, 255, 255, 0}); // full magenta + yellow = red
      }
    }
    javax.imageio.ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (javax.imageio.stream.ImageOutputStream ios = ImageIO.createImageOutputStream(out)) {
      writer.setOutput(ios);
      writer.write(null, new javax.imageio.IIOImage(cmyk, null, null), null);
    } finally {
      writer.dispose();
    }
    FloatImage image = new ImageDecoder().decodeCompressed(out.toByteArray());
    assertThat(image.width()).isEqualTo(w);
    assertThat(image.height()).isEqualTo(h);
    assertThat(image.channels()).isEqualTo(3);
    float[] d = image.data();
    int n = w * h;
    int centre = (h / 2) * w + w / 2;
    assertThat(d[centre]).as("red").isGreaterThan(0.6f);
    assertThat(d[n + centre]).as("green").isLessThan(0.4f);
  }

  @Test
  void decodesRawFormats() throws Exception {
    ImageDecoder d = new ImageDecoder();
    assertThat(d.decodeRaw(new byte[] {0, (byte) 255}, 2, 1, RawPixelFormat.GRAY8).data())
        .containsExactly(0f, 1f);
    assertThat(
            d.decodeRaw(new byte[] {(byte) 0xFF, (byte) 0xFF}, 1, 1, RawPixelFormat.GRAY16).data())
        .containsExactly(1f);
    FloatImage bgr = d.decodeRaw(new byte[] {(byte) 255, 0, 0}, 1, 1, RawPixelFormat.BGR8);
    assertThat(bgr.data()).containsExactly(0f, 0f, 1f); // blue lands in the third (B) plane
  }

  @Test
  void clearErrorsForBadInput() {
    ImageDecoder d = new ImageDecoder(100);
    assertThatThrownBy(() -> d.decodeRaw(new byte[7], 2, 2, RawPixelFormat.RGB8))
        .hasMessageContaining("7 bytes")
        .hasMessageContaining("needs 12");
    assertThatThrownBy(() -> d.decodeRaw(new byte[0], 0, 2, RawPixelFormat.GRAY8))
        .hasMessageContaining("positive");
    assertThatThrownBy(() -> d.decodeRaw(new byte[200 * 200], 200, 200, RawPixelFormat.GRAY8))
        .hasMessageContaining("over the limit of 100 pixels");
    assertThatThrownBy(() -> d.decodeCompressed(new byte[] {1, 2, 3}))
        .hasMessageContaining("unrecognised image format");
    assertThatThrownBy(() -> d.decodeCompressed(new byte[0])).hasMessageContaining("empty");
    assertThatThrownBy(() -> d.decodeCompressed(new byte[] {(byte) 0x89, 'P', 'N', 'G', 0, 1}))
        .hasMessageContaining("broken PNG image: 6 bytes");
  }

  @Test
  void refusesAHugeDeclaredSizeBeforeDecoding() throws Exception {
    byte[] p = png(new BufferedImage(20, 20, BufferedImage.TYPE_BYTE_GRAY));
    // 20x20 = 400 pixels > 100: refused from the header
    assertThatThrownBy(() -> new ImageDecoder(100).decodeCompressed(p))
        .hasMessageContaining("20x20");
    byte[] truncated = java.util.Arrays.copyOf(p, p.length / 2);
    assertThatThrownBy(() -> new ImageDecoder().decodeCompressed(truncated))
        .hasMessageContaining("broken PNG");
  }

  @Test
  void resizeKeepsConstantsAndAveragesWhenShrinking() {
    float[] checker = new float[64 * 64];
    for (int y = 0; y < 64; y++) {
      for (int x = 0; x < 64; x++) {
        checker[y * 64 + x] = (x + y) % 2;
      }
    }
    FloatImage small = Resampler.resize(new FloatImage(64, 64, 1, checker), 16, 16);
    for (float v : small.data()) {
      assertThat(v).isCloseTo(0.5f, offset(0.02f)); // antialiasing: no aliased stripes
    }
    FloatImage crop =
        Preprocessing.IMAGENET_CROP.geometry(new FloatImage(300, 200, 1, new float[300 * 200]));
    assertThat(crop.width()).isEqualTo(224);
    assertThat(crop.height()).isEqualTo(224);
  }
}
