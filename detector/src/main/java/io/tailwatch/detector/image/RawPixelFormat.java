package io.tailwatch.detector.image;

/** Layouts of uncompressed frames. GRAY16 is big-endian, as most industrial cameras send it. */
public enum RawPixelFormat {
  GRAY8(1, 1),
  GRAY16(1, 2),
  RGB8(3, 1),
  BGR8(3, 1);

  private final int channels;
  private final int bytesPerSample;

  RawPixelFormat(int channels, int bytesPerSample) {
    this.channels = channels;
    this.bytesPerSample = bytesPerSample;
  }

  public int channels() {
    return channels;
  }

  public long bytesFor(int width, int height) {
    return (long) width * height * channels * bytesPerSample;
  }
}
