package io.tailwatch.detector.image;

import java.io.IOException;
import java.nio.file.Path;

/** An image loaded on demand (fit and evaluate stream through thousands of files). */
public interface ImageSource {
  String id();

  FloatImage load() throws IOException, ImageDecodeException;

  static ImageSource file(Path path, ImageDecoder decoder) {
    return new ImageSource() {
      @Override
      public String id() {
        return path.getFileName().toString();
      }

      @Override
      public FloatImage load() throws IOException, ImageDecodeException {
        return decoder.read(path);
      }

      @Override
      public String toString() {
        return path.toString();
      }
    };
  }

  static ImageSource of(String id, FloatImage image) {
    return new ImageSource() {
      @Override
      public String id() {
        return id;
      }

      @Override
      public FloatImage load() {
        return image;
      }
    };
  }
}
