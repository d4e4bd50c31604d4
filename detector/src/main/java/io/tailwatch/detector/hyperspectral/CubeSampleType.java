package io.tailwatch.detector.hyperspectral;

import java.nio.ByteBuffer;

/** Raw sample types of a cube, with ENVI's data-type codes. */
public enum CubeSampleType {
  UINT8(1, 1),
  INT16(2, 2),
  INT32(4, 3),
  FLOAT32(4, 4),
  FLOAT64(8, 5),
  UINT16(2, 12);

  private final int bytes;
  private final int enviCode;

  CubeSampleType(int bytes, int enviCode) {
    this.bytes = bytes;
    this.enviCode = enviCode;
  }

  public int bytes() {
    return bytes;
  }

  public int enviCode() {
    return enviCode;
  }

  public static CubeSampleType fromEnviCode(int code) {
    for (CubeSampleType t : values()) {
      if (t.enviCode == code) {
        return t;
      }
    }
    throw new IllegalArgumentException(
        "ENVI data type "
            + code
            + " is not supported (supported: 1 uint8, 2 int16, 3 int32, 4 float32, 5 float64, 12 uint16)");
  }

  /** Reads the sample at byte position {@code pos} (the buffer's byte order applies). */
  float read(ByteBuffer b, int pos) {
    return switch (this) {
      case UINT8 -> b.get(pos) & 0xff;
      case INT16 -> b.getShort(pos);
      case UINT16 -> b.getShort(pos) & 0xffff;
      case INT32 -> b.getInt(pos);
      case FLOAT32 -> b.getFloat(pos);
      case FLOAT64 -> (float) b.getDouble(pos);
    };
  }

  void write(ByteBuffer b, int pos, float v) {
    switch (this) {
      case UINT8 -> b.put(pos, (byte) Math.round(v));
      case INT16, UINT16 -> b.putShort(pos, (short) Math.round(v));
      case INT32 -> b.putInt(pos, Math.round(v));
      case FLOAT32 -> b.putFloat(pos, v);
      case FLOAT64 -> b.putDouble(pos, v);
    }
  }
}
