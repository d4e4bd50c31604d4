package io.tailwatch.detector.sim;

/**
 * The online-adaptation test stream: a line making brushed metal; every {@code rareEvery}-th frame
 * (offset half a period) is a rare normal variant, the same product with another finish ({@code
 * rareShare} of the simulator's {@code rareFinish} texture blended over the brushed one; the
 * ITCase's: 60% grain); frames at {@code i % defectEvery == defectEvery / 2} (unless rare) carry a
 * crack or missing material, blended at {@code defectStrength} over the same frame rendered without
 * it (1 = the full defect; lower = faint defects, which score near the threshold). With {@code
 * sameDefect} every defect is the same one (a recurring mark: one crack, its difference to its
 * clean frame added at {@code defectStrength} to each defective frame's clean render), the case
 * where learning a missed defect would hide the ones after it. Frame i is drawn from the simulator
 * at index {@code firstIndex + i}, so streams with different first indices are different frames of
 * the same line.
 */
public record RareVariantStream(
    ProductLineSimulator line,
    int rareEvery,
    int defectEvery,
    ProductLineSimulator.Variant rareFinish,
    double rareShare,
    long firstIndex,
    double defectStrength,
    boolean sameDefect) {
  public enum Kind {
    NORMAL,
    RARE,
    DEFECT
  }

  /** Full-strength defects, each its own. */
  public RareVariantStream(
      ProductLineSimulator line,
      int rareEvery,
      int defectEvery,
      ProductLineSimulator.Variant rareFinish,
      double rareShare,
      long firstIndex) {
    this(line, rareEvery, defectEvery, rareFinish, rareShare, firstIndex, 1, false);
  }

  /** Defects at {@code defectStrength}, each its own. */
  public RareVariantStream(
      ProductLineSimulator line,
      int rareEvery,
      int defectEvery,
      ProductLineSimulator.Variant rareFinish,
      double rareShare,
      long firstIndex,
      double defectStrength) {
    this(line, rareEvery, defectEvery, rareFinish, rareShare, firstIndex, defectStrength, false);
  }

  /**
   * Why {@code defectStrength} is out of range ("must be in (0, 1], was x"), or null; for option
   * messages too.
   */
  public static String strengthProblem(double defectStrength) {
    return defectStrength > 0 && defectStrength <= 1
        ? null
        : "must be in (0, 1], was " + defectStrength;
  }

  public RareVariantStream {
    String strength = strengthProblem(defectStrength);
    if (strength != null) {
      throw new IllegalArgumentException("defect strength " + strength);
    }
    if (rareEvery < 2 || defectEvery < 2) {
      throw new IllegalArgumentException(
          "rare-every and defect-every must be >= 2, were " + rareEvery + ", " + defectEvery);
    }
    if (rareFinish == null || rareFinish == ProductLineSimulator.Variant.BRUSHED) {
      throw new IllegalArgumentException(
          "the rare finish must be another variant than BRUSHED, was " + rareFinish);
    }
    if (!(rareShare > 0 && rareShare <= 1)) {
      throw new IllegalArgumentException("rare share must be in (0, 1], was " + rareShare);
    }
  }

  public Kind kind(int i) {
    if (i % rareEvery == rareEvery / 2) {
      return Kind.RARE;
    }
    return i % defectEvery == defectEvery / 2 ? Kind.DEFECT : Kind.NORMAL;
  }

  public SimulatedFrame frame(int i) {
    Kind k = kind(i);
    long index = firstIndex + i;
    if (k == Kind.DEFECT && sameDefect) {
      return recurringDefect(index);
    }
    SimulatedFrame f =
        line.frame(
            index,
            ProductLineSimulator.Variant.BRUSHED,
            k == Kind.DEFECT
                ? (i % 2 == 0
                    ? ProductLineSimulator.Defect.CRACK
                    : ProductLineSimulator.Defect.MISSING)
                : null);
    if (k == Kind.DEFECT && defectStrength < 1) {
      // the same texture without the defect (its lighting and noise are drawn after the defect, so
      // they differ)
      byte[] clean = line.frame(index, ProductLineSimulator.Variant.BRUSHED, null).gray();
      return new SimulatedFrame(
          f.index(),
          f.variant(),
          f.defect(),
          f.width(),
          f.height(),
          blend(clean, f.gray(), defectStrength),
          f.mask());
    }
    if (k != Kind.RARE) {
      return f;
    }
    byte[] finish = line.frame(index, rareFinish, null).gray();
    return new SimulatedFrame(
        f.index(),
        f.variant(),
        null,
        f.width(),
        f.height(),
        blend(f.gray(), finish, rareShare),
        f.mask());
  }

  /**
   * Frame {@code index}'s clean render plus the stream's one crack (drawn at {@code firstIndex -
   * 1}).
   */
  private SimulatedFrame recurringDefect(long index) {
    SimulatedFrame template =
        line.frame(
            firstIndex - 1,
            ProductLineSimulator.Variant.BRUSHED,
            ProductLineSimulator.Defect.CRACK);
    byte[] templateClean =
        line.frame(firstIndex - 1, ProductLineSimulator.Variant.BRUSHED, null).gray();
    SimulatedFrame clean = line.frame(index, ProductLineSimulator.Variant.BRUSHED, null);
    byte[] g = new byte[templateClean.length];
    for (int p = 0; p < g.length; p++) {
      double delta = (template.gray()[p] & 0xff) - (templateClean[p] & 0xff);
      g[p] =
          (byte)
              Math.max(
                  0, Math.min(255, Math.round((clean.gray()[p] & 0xff) + defectStrength * delta)));
    }
    return new SimulatedFrame(
        clean.index(),
        clean.variant(),
        template.defect(),
        clean.width(),
        clean.height(),
        g,
        template.mask());
  }

  /** (1 - share) a + share b, per pixel. */
  private static byte[] blend(byte[] a, byte[] b, double share) {
    byte[] g = new byte[a.length];
    for (int p = 0; p < g.length; p++) {
      g[p] = (byte) Math.round((1 - share) * (a[p] & 0xff) + share * (b[p] & 0xff));
    }
    return g;
  }
}
