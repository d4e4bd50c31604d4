package io.tailwatch.detector.image;

import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.event.IIOReadWarningListener;
import javax.imageio.spi.IIORegistry;
import javax.imageio.stream.ImageInputStream;

/**
 * Decodes PNG, JPEG and raw frames to {@link FloatImage}. Compressed images have their declared
 * size read from the header and checked against {@code maxPixels} before any pixel buffer is
 * allocated, so a small file cannot make us allocate gigabytes.
 *
 * <p>JPEGs go through TwelveMonkeys' ImageIO plugin, which reads what the JDK's reader refuses
 * (CMYK and YCCK Adobe JPEGs, 12-bit, broken ICC profiles); a reader warning (a truncated file:
 * "premature end of JPEG file", which the JDK fills with grey and returns as if whole) is an error,
 * not a silently damaged frame.
 */
public final class ImageDecoder {
  static {
    // Registered by hand, not only through META-INF/services: under Flink's user-code class loader
    // (and in
    // shaded jars) ImageIO's own scan of the context class loader may not see the plugin.
    // Registration orders it
    // before the JDK's JPEG reader.
    IIORegistry.getDefaultInstance()
        .registerServiceProvider(new com.twelvemonkeys.imageio.plugins.jpeg.JPEGImageReaderSpi());
  }

  /**
   * 64 megapixels: larger than any line-scan tile we expect, far below what would exhaust a task
   * heap.
   */
  public static final long DEFAULT_MAX_PIXELS = 64L * 1024 * 1024;

  private final long maxPixels;

  public ImageDecoder() {
    this(DEFAULT_MAX_PIXELS);
  }

  public ImageDecoder(long maxPixels) {
    if (maxPixels <= 0) {
      throw new IllegalArgumentException("maxPixels must be positive");
    }
    this.maxPixels = maxPixels;
  }

  public FloatImage read(Path file) throws ImageDecodeException, IOException {
    if (!Files.isRegularFile(file)) {
      throw new ImageDecodeException("not a readable file: " + file);
    }
    try {
      return decodeCompressed(Files.readAllBytes(file));
    } catch (ImageDecodeException e) {
      throw new ImageDecodeException(file + ": " + e.getMessage(), e);
    }
  }

  /**
   * Width and height from a PNG/JPEG header without decoding the pixels (cheap enough for every
   * record at ingest).
   */
  public int[] dimensions(byte[] bytes) throws ImageDecodeException {
    return withReader(bytes, reader -> new int[] {reader.getWidth(0), reader.getHeight(0)});
  }

  /** PNG or JPEG (or any format ImageIO reads). */
  public FloatImage decodeCompressed(byte[] bytes) throws ImageDecodeException {
    return withReader(
        bytes,
        reader -> {
          checkSize(reader.getWidth(0), reader.getHeight(0));
          return fromBufferedImage(reader.read(0));
        });
  }

  private interface ReaderAction<T> {
    T apply(ImageReader reader) throws IOException, ImageDecodeException;
  }

  /**
   * Opens an ImageIO reader on the bytes; every failure becomes an ImageDecodeException naming the
   * format.
   */
  private static <T> T withReader(byte[] bytes, ReaderAction<T> action)
      throws ImageDecodeException {
    if (bytes == null || bytes.length == 0) {
      throw new ImageDecodeException("empty image payload");
    }
    try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
      Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
      if (!readers.hasNext()) {
        String format = formatName(bytes);
        throw new ImageDecodeException(
            format.equals("unknown-format")
                ? "unrecognised image format (not PNG/JPEG)"
                : "broken " + format + " image: " + bytes.length + " bytes, header unreadable");
      }
      ImageReader reader = readers.next();
      StringBuilder warnings = new StringBuilder();
      IIOReadWarningListener listener =
          (source, warning) -> warnings.append(warnings.length() == 0 ? "" : "; ").append(warning);
      reader.addIIOReadWarningListener(listener);
      try {
        reader.setInput(in, true, true);
        T result = action.apply(reader);
        if (warnings.length() > 0) {
          throw new ImageDecodeException(
              "damaged " + formatName(bytes) + " image (" + bytes.length + " bytes): " + warnings);
        }
        return result;
      } finally {
        reader.dispose();
      }
    } catch (ImageDecodeException e) {
      throw e;
    } catch (IOException | RuntimeException e) {
      throw new ImageDecodeException(
          "broken " + formatName(bytes) + " image: " + e.getMessage(), e);
    }
  }

  public FloatImage decodeRaw(byte[] bytes, int width, int height, RawPixelFormat format)
      throws ImageDecodeException {
    if (width <= 0 || height <= 0) {
      throw new ImageDecodeException(
          "width and height must be positive, were " + width + "x" + height);
    }
    checkSize(width, height);
    long expected = format.bytesFor(width, height);
    if (bytes == null || bytes.length != expected) {
      throw new ImageDecodeException(
          "RAW "
              + format
              + " payload has "
              + (bytes == null ? 0 : bytes.length)
              + " bytes, "
              + width
              + "x"
              + height
              + " needs "
              + expected);
    }
    int n = width * height;
    int channels = format.channels();
    float[] data = new float[n * channels];
    switch (format) {
      case GRAY8 -> {
        for (int i = 0; i < n; i++) {
          data[i] = (bytes[i] & 0xFF) / 255f;
        }
      }
      case GRAY16 -> {
        for (int i = 0; i < n; i++) {
          data[i] = (((bytes[2 * i] & 0xFF) << 8) | (bytes[2 * i + 1] & 0xFF)) / 65535f;
        }
      }
      case RGB8, BGR8 -> {
        boolean bgr = format == RawPixelFormat.BGR8;
        for (int i = 0; i < n; i++) {
          float a = (bytes[3 * i] & 0xFF) / 255f;
          float b = (bytes[3 * i + 1] & 0xFF) / 255f;
          float c = (bytes[3 * i + 2] & 0xFF) / 255f;
          data[i] = bgr ? c : a;
          data[n + i] = b;
          data[2 * n + i] = bgr ? a : c;
        }
      }
      default -> throw new ImageDecodeException("unsupported pixel format " + format);
    }
    return new FloatImage(width, height, channels, data);
  }

  private void checkSize(long w, long h) throws ImageDecodeException {
    if (w <= 0 || h <= 0) {
      throw new ImageDecodeException("image size must be positive, header says " + w + "x" + h);
    }
    if (w * h > maxPixels) {
      throw new ImageDecodeException(
          "image is "
              + w
              + "x"
              + h
              + " = "
              + w * h
              + " pixels, over the limit of "
              + maxPixels
              + " pixels");
    }
  }

  static FloatImage fromBufferedImage(BufferedImage image) {
    int w = image.getWidth();
    int h = image.getHeight();
    Raster raster = image.getRaster();
    boolean gray = image.getColorModel().getColorSpace().getNumComponents() == 1;
    if (gray) {
      float scale = (1 << image.getColorModel().getComponentSize(0)) - 1;
      float[] data = new float[w * h];
      float[] row = new float[w];
      for (int y = 0; y < h; y++) {
        raster.getSamples(0, y, w, 1, 0, row);
        for (int x = 0; x < w; x++) {
          data[y * w + x] = row[x] / scale;
        }
      }
      return new FloatImage(w, h, 1, data);
    }
    // Colour: let the colour model resolve palettes, band orders and alpha.
    float[] data = new float[3 * w * h];
    int n = w * h;
    int[] rgb = new int[w];
    for (int y = 0; y < h; y++) {
      image.getRGB(0, y, w, 1, rgb, 0, w);
      for (int x = 0; x < w; x++) {
        int p = rgb[x];
        int i = y * w + x;
        data[i] = ((p >> 16) & 0xFF) / 255f;
        data[n + i] = ((p >> 8) & 0xFF) / 255f;
        data[2 * n + i] = (p & 0xFF) / 255f;
      }
    }
    return new FloatImage(w, h, 3, data);
  }

  private static String formatName(byte[] bytes) {
    if (bytes.length >= 4
        && (bytes[0] & 0xFF) == 0x89
        && bytes[1] == 'P'
        && bytes[2] == 'N'
        && bytes[3] == 'G') {
      return "PNG";
    }
    if (bytes.length >= 2 && (bytes[0] & 0xFF) == 0xFF && (bytes[1] & 0xFF) == 0xD8) {
      return "JPEG";
    }
    return "unknown-format";
  }
}
