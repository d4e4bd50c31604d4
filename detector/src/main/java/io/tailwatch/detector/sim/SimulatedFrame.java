package io.tailwatch.detector.sim;

import io.tailwatch.detector.image.FloatImage;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import javax.imageio.ImageIO;

/**
 * One simulated frame: 8-bit gray pixels (row-major) and its ground truth.
 *
 * @param defect null for a normal frame
 * @param mask 1 where the defect changed the frame, else 0 (all 0 for a normal frame)
 */
public record SimulatedFrame(
    long index,
    ProductLineSimulator.Variant variant,
    ProductLineSimulator.Defect defect,
    int width,
    int height,
    byte[] gray,
    byte[] mask) {

  public boolean defective() {
    return defect != null;
  }

  public FloatImage toFloatImage() {
    float[] data = new float[width * height];
    for (int i = 0; i < data.length; i++) {
      data[i] = (gray[i] & 0xff) / 255f;
    }
    return new FloatImage(width, height, 1, data);
  }

  public byte[] png() {
    return png(gray, width, height);
  }

  public byte[] maskPng() {
    byte[] scaled = new byte[mask.length];
    for (int i = 0; i < mask.length; i++) {
      scaled[i] = (byte) (mask[i] != 0 ? 255 : 0);
    }
    return png(scaled, width, height);
  }

  private static byte[] png(byte[] gray, int width, int height) {
    BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_BYTE_GRAY);
    image.getRaster().setDataElements(0, 0, width, height, gray);
    ByteArrayOutputStream out = new ByteArrayOutputStream(width * height / 2);
    try {
      ImageIO.write(image, "png", out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }
}
