package io.tailwatch.detector.sim;

import java.util.Random;

/**
 * A procedural production line: frames of several product variants in a long-tailed mix, with
 * texture, pose jitter, lighting and sensor noise, and (at a configured rate) one defect per
 * defective frame with its ground-truth mask.
 *
 * <p>Deterministic for a seed: frame {@code i} of a simulator depends only on the seed and {@code
 * i}, so a replay is exact and a frame can be re-generated to score it against its mask.
 */
public final class ProductLineSimulator {

  /**
   * Product variants, most frequent first. Shares follow a long tail (a Pareto-like 50/24/14/8/4
   * split).
   */
  public enum Variant {
    BRUSHED(0.50),
    GRAIN(0.24),
    WASHER(0.14),
    MESH(0.08),
    PERFORATED(0.04);

    private final double share;

    Variant(double share) {
      this.share = share;
    }

    public double share() {
      return share;
    }
  }

  public enum Defect {
    SCRATCH,
    SPOT,
    CRACK,
    MISSING
  }

  private final long seed;
  private final int size;
  private final double defectRate;

  /**
   * @param size frame width and height in pixels (at least 64)
   * @param defectRate fraction of frames that carry a defect, in [0, 1]
   */
  public ProductLineSimulator(long seed, int size, double defectRate) {
    if (size < 64 || size > 4096) {
      throw new IllegalArgumentException("size must be in [64, 4096], was " + size);
    }
    if (!(defectRate >= 0 && defectRate <= 1)) {
      throw new IllegalArgumentException("defectRate must be in [0, 1], was " + defectRate);
    }
    this.seed = seed;
    this.size = size;
    this.defectRate = defectRate;
  }

  public int size() {
    return size;
  }

  /** Frame {@code index} of this line. */
  public SimulatedFrame frame(long index) {
    Random rnd = new Random(seed * 0x9E3779B97F4A7C15L + index * 0xBF58476D1CE4E5B9L + 1);
    Variant variant = pickVariant(rnd.nextDouble());
    Defect defect =
        rnd.nextDouble() < defectRate ? Defect.values()[rnd.nextInt(Defect.values().length)] : null;
    return render(index, variant, defect, rnd);
  }

  /**
   * Frame {@code index} forced to a variant and defect (null = normal); for building balanced test
   * sets.
   */
  public SimulatedFrame frame(long index, Variant variant, Defect defect) {
    Random rnd = new Random(seed * 0x9E3779B97F4A7C15L + index * 0xBF58476D1CE4E5B9L + 7);
    return render(index, variant, defect, rnd);
  }

  static Variant pickVariant(double u) {
    double acc = 0;
    for (Variant v : Variant.values()) {
      acc += v.share;
      if (u < acc) {
        return v;
      }
    }
    return Variant.values()[Variant.values().length - 1];
  }

  private SimulatedFrame render(long index, Variant variant, Defect defect, Random rnd) {
    int n = size * size;
    double[] img = new double[n];
    double dx = rnd.nextDouble() * 12 - 6;
    double dy = rnd.nextDouble() * 12 - 6;
    switch (variant) {
      case BRUSHED -> brushed(img, rnd, dx, dy);
      case GRAIN -> grain(img, rnd);
      case WASHER -> washer(img, rnd, dx, dy);
      case MESH -> mesh(img, dx, dy);
      case PERFORATED -> perforated(img, dx, dy);
      default -> throw new IllegalStateException(variant.name());
    }
    boolean[] mask = new boolean[n];
    if (defect != null) {
      switch (defect) {
        case SCRATCH -> scratch(img, mask, rnd);
        case SPOT -> spot(img, mask, rnd);
        case CRACK -> crack(img, mask, rnd);
        case MISSING -> missing(img, mask, rnd);
        default -> throw new IllegalStateException(defect.name());
      }
    }
    // lighting: global gain and a soft gradient from a random direction, then sensor noise
    double gain = 0.9 + rnd.nextDouble() * 0.2;
    double angle = rnd.nextDouble() * 2 * Math.PI;
    double gx = Math.cos(angle) * 12 / size;
    double gy = Math.sin(angle) * 12 / size;
    byte[] gray = new byte[n];
    for (int y = 0; y < size; y++) {
      for (int x = 0; x < size; x++) {
        int i = y * size + x;
        double v =
            img[i] * gain
                + (x - size / 2.0) * gx
                + (y - size / 2.0) * gy
                + rnd.nextGaussian() * 3.0;
        gray[i] = (byte) Math.max(0, Math.min(255, (int) Math.round(v)));
      }
    }
    byte[] maskBytes = new byte[n];
    for (int i = 0; i < n; i++) {
      maskBytes[i] = (byte) (mask[i] ? 1 : 0);
    }
    return new SimulatedFrame(index, variant, defect, size, size, gray, maskBytes);
  }

  // ---- products ----

  private void brushed(double[] img, Random rnd, double dx, double dy) {
    double[] rowPhase = new double[size];
    double[] rowLevel = new double[size];
    double drift = 0;
    for (int y = 0; y < size; y++) {
      drift = 0.85 * drift + rnd.nextGaussian() * 3;
      rowLevel[y] = drift;
      rowPhase[y] = rnd.nextDouble() * 2 * Math.PI;
    }
    for (int y = 0; y < size; y++) {
      for (int x = 0; x < size; x++) {
        img[y * size + x] = 150 + rowLevel[y] + 4 * Math.sin((x + dx) * 0.21 + rowPhase[y]);
      }
    }
  }

  private void grain(double[] img, Random rnd) {
    double[] noise = new double[size * size];
    for (int i = 0; i < noise.length; i++) {
      noise[i] = rnd.nextGaussian();
    }
    // two passes of a 3x3 box blur give a grain of about 3 px
    double[] a = boxBlur(noise);
    double[] b = boxBlur(a);
    for (int i = 0; i < img.length; i++) {
      img[i] = 105 + 40 * b[i];
    }
  }

  private double[] boxBlur(double[] in) {
    double[] out = new double[in.length];
    for (int y = 0; y < size; y++) {
      for (int x = 0; x < size; x++) {
        double s = 0;
        int c = 0;
        for (int yy = Math.max(0, y - 1); yy <= Math.min(size - 1, y + 1); yy++) {
          for (int xx = Math.max(0, x - 1); xx <= Math.min(size - 1, x + 1); xx++) {
            s += in[yy * size + xx];
            c++;
          }
        }
        out[y * size + x] = s / c;
      }
    }
    return out;
  }

  private void washer(double[] img, Random rnd, double dx, double dy) {
    double cx = size / 2.0 + dx;
    double cy = size / 2.0 + dy;
    double outer = size * 0.42;
    double inner = size * 0.17;
    double phase = rnd.nextDouble() * 2 * Math.PI;
    for (int y = 0; y < size; y++) {
      for (int x = 0; x < size; x++) {
        double r = Math.hypot(x - cx, y - cy);
        double edge = smoothStep(outer + 1, outer - 1, r) * smoothStep(inner - 1, inner + 1, r);
        double machining = 5 * Math.sin(r * 0.9 + phase);
        img[y * size + x] = 35 + edge * (150 + machining);
      }
    }
  }

  private void mesh(double[] img, double dx, double dy) {
    double period = size / 10.0;
    for (int y = 0; y < size; y++) {
      for (int x = 0; x < size; x++) {
        double u = Math.abs(((x + dx) % period + period) % period - period / 2) / (period / 2);
        double v = Math.abs(((y + dy) % period + period) % period - period / 2) / (period / 2);
        double wire = Math.max(smoothStep(0.75, 0.95, u), smoothStep(0.75, 0.95, v));
        img[y * size + x] = 70 + 110 * wire;
      }
    }
  }

  private void perforated(double[] img, double dx, double dy) {
    double pitch = size / 8.0;
    double radius = pitch * 0.28;
    for (int y = 0; y < size; y++) {
      for (int x = 0; x < size; x++) {
        double yy = y + dy;
        int row = (int) Math.floor(yy / pitch);
        double xx = x + dx + ((row & 1) == 0 ? 0 : pitch / 2);
        double cx = (Math.floor(xx / pitch) + 0.5) * pitch;
        double cy = (row + 0.5) * pitch;
        double r = Math.hypot(xx - cx, yy - cy);
        img[y * size + x] = 175 - 130 * smoothStep(radius + 1, radius - 1, r);
      }
    }
  }

  // ---- defects ----

  private void scratch(double[] img, boolean[] mask, Random rnd) {
    double x0 = size * (0.2 + 0.6 * rnd.nextDouble());
    double y0 = size * (0.2 + 0.6 * rnd.nextDouble());
    double angle = rnd.nextDouble() * Math.PI;
    double length = size * (0.15 + 0.25 * rnd.nextDouble());
    double width = 1.0 + rnd.nextDouble();
    double delta = rnd.nextBoolean() ? 70 : -70;
    double ux = Math.cos(angle);
    double uy = Math.sin(angle);
    for (int y = 0; y < size; y++) {
      for (int x = 0; x < size; x++) {
        double px = x - x0;
        double py = y - y0;
        double t = px * ux + py * uy;
        double d = Math.abs(-px * uy + py * ux);
        if (t >= -length / 2 && t <= length / 2 && d <= width) {
          int i = y * size + x;
          img[i] += delta * (1 - 0.3 * d / width);
          mask[i] = true;
        }
      }
    }
  }

  private void spot(double[] img, boolean[] mask, Random rnd) {
    double cx = size * (0.15 + 0.7 * rnd.nextDouble());
    double cy = size * (0.15 + 0.7 * rnd.nextDouble());
    double rx = size * (0.03 + 0.04 * rnd.nextDouble());
    double ry = rx * (0.6 + 0.8 * rnd.nextDouble());
    double depth = 60 + 30 * rnd.nextDouble();
    for (int y = 0; y < size; y++) {
      for (int x = 0; x < size; x++) {
        double q = Math.pow((x - cx) / rx, 2) + Math.pow((y - cy) / ry, 2);
        if (q <= 1) {
          int i = y * size + x;
          img[i] -= depth * (1 - 0.5 * q);
          mask[i] = true;
        }
      }
    }
  }

  private void crack(double[] img, boolean[] mask, Random rnd) {
    double x = size * (0.2 + 0.6 * rnd.nextDouble());
    double y = size * (0.2 + 0.6 * rnd.nextDouble());
    double heading = rnd.nextDouble() * 2 * Math.PI;
    int steps = (int) (size * (0.25 + 0.25 * rnd.nextDouble()));
    for (int s = 0; s < steps; s++) {
      heading += rnd.nextGaussian() * 0.35;
      x += Math.cos(heading);
      y += Math.sin(heading);
      int ix = (int) Math.round(x);
      int iy = (int) Math.round(y);
      for (int oy = 0; oy <= 1; oy++) {
        for (int ox = 0; ox <= 1; ox++) {
          int px = ix + ox;
          int py = iy + oy;
          if (px >= 0 && py >= 0 && px < size && py < size && !mask[py * size + px]) {
            img[py * size + px] = Math.min(img[py * size + px], 25);
            mask[py * size + px] = true;
          }
        }
      }
    }
  }

  private void missing(double[] img, boolean[] mask, Random rnd) {
    int w = (int) (size * (0.10 + 0.10 * rnd.nextDouble()));
    int h = (int) (size * (0.10 + 0.10 * rnd.nextDouble()));
    int x0 = (int) (rnd.nextDouble() * (size - w));
    int y0 = (int) (rnd.nextDouble() * (size - h));
    for (int y = y0; y < y0 + h; y++) {
      for (int x = x0; x < x0 + w; x++) {
        int i = y * size + x;
        img[i] = 20; // the empty fixture shows through
        mask[i] = true;
      }
    }
  }

  private static double smoothStep(double edge0, double edge1, double x) {
    double t = Math.max(0, Math.min(1, (x - edge0) / (edge1 - edge0)));
    return t * t * (3 - 2 * t);
  }
}
