package io.tailwatch.tools.benchmark;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The markdown tables and plot series of {@code bench longtail run}: means (± std over seeds) per
 * tail and noise.
 */
public final class LongTailReport {
  private LongTailReport() {}

  /** method -> noise -> mean image AUROC over seeds, per tail. */
  public static Map<String, Map<String, SortedMap<Double, Double>>> curves(
      List<LongTailRun.Result> results) {
    Map<String, Map<String, SortedMap<Double, List<Double>>>> acc = new TreeMap<>();
    for (LongTailRun.Result r : results) {
      for (LongTailRun.MethodResult mr : r.methods()) {
        acc.computeIfAbsent(r.manifest().tail(), k -> new LinkedHashMap<>())
            .computeIfAbsent(mr.method(), k -> new TreeMap<>())
            .computeIfAbsent(r.manifest().noise(), k -> new ArrayList<>())
            .add(mr.meanImageAuroc());
      }
    }
    Map<String, Map<String, SortedMap<Double, Double>>> out = new TreeMap<>();
    acc.forEach(
        (tail, byMethod) ->
            byMethod.forEach(
                (method, byNoise) ->
                    byNoise.forEach(
                        (noise, v) ->
                            out.computeIfAbsent(tail, k -> new LinkedHashMap<>())
                                .computeIfAbsent(method, k -> new TreeMap<>())
                                .put(
                                    noise,
                                    v.stream()
                                        .mapToDouble(Double::doubleValue)
                                        .average()
                                        .orElse(Double.NaN)))));
    return out;
  }

  /**
   * Mean image AUROC of method {@code i} over the classes that are tail (or head) classes in this
   * result's manifest: the tail classes differ from seed to seed.
   */
  static double meanOver(LongTailRun.Result r, int i, boolean tail) {
    return r.manifest().classes().stream()
        .filter(c -> c.tail() == tail)
        .mapToDouble(c -> r.methods().get(i).imageAuroc().getOrDefault(c.name(), Double.NaN))
        .filter(v -> !Double.isNaN(v))
        .average()
        .orElse(Double.NaN);
  }

  public static String markdown(List<LongTailRun.Result> results, double seconds) {
    Map<String, List<LongTailRun.Result>> groups = new LinkedHashMap<>();
    for (LongTailRun.Result r : results) {
      groups
          .computeIfAbsent(
              String.format(Locale.ROOT, "%s|%.2f", r.manifest().tail(), r.manifest().noise()),
              k -> new ArrayList<>())
          .add(r);
    }
    StringBuilder md = new StringBuilder();
    md.append(
        "| tail | noise | seeds | method | image AUROC | image AUROC, tail classes | image AUROC,"
            + " head classes | pixel AUROC | fit s |\n");
    md.append("|---|---:|---:|---|---:|---:|---:|---:|---:|\n");
    for (List<LongTailRun.Result> g : groups.values()) {
      LongTailManifest first = g.get(0).manifest();
      for (int mi = 0; mi < g.get(0).methods().size(); mi++) {
        int i = mi;
        double[] image = g.stream().mapToDouble(r -> r.methods().get(i).meanImageAuroc()).toArray();
        double[] pixel = g.stream().mapToDouble(r -> r.methods().get(i).meanPixelAuroc()).toArray();
        double[] tail = g.stream().mapToDouble(r -> meanOver(r, i, true)).toArray();
        double[] head = g.stream().mapToDouble(r -> meanOver(r, i, false)).toArray();
        double fit =
            g.stream().mapToDouble(r -> r.methods().get(i).fitSeconds()).average().orElse(0);
        md.append(
            String.format(
                Locale.ROOT,
                "| %s | %.2f | %d | %s | %s | %s | %s | %s | %.1f |%n",
                first.tail(),
                first.noise(),
                g.size(),
                g.get(0).methods().get(i).method(),
                meanStd(image),
                meanStd(tail),
                meanStd(head),
                meanStd(pixel),
                fit));
      }
    }
    md.append(
        "\nPer class image AUROC (mean over seeds; (t) = tail class in every seed, (t?) in some):\n");
    for (List<LongTailRun.Result> g : groups.values()) {
      LongTailManifest first = g.get(0).manifest();
      List<String> classes =
          first.classes().stream().map(LongTailManifest.ClassEntry::name).toList();
      md.append(
          String.format(
              Locale.ROOT, "%n%s, noise %.2f:%n%n| method |", first.tail(), first.noise()));
      for (String c : classes) {
        long tails =
            g.stream()
                .filter(
                    r ->
                        r.manifest().classes().stream()
                            .anyMatch(e -> e.name().equals(c) && e.tail()))
                .count();
        md.append(' ')
            .append(c.toLowerCase(Locale.ROOT))
            .append(tails == g.size() ? " (t)" : tails > 0 ? " (t?)" : "")
            .append(" |");
      }
      md.append("\n|---|").append("---:|".repeat(classes.size())).append('\n');
      for (int mi = 0; mi < g.get(0).methods().size(); mi++) {
        int i = mi;
        md.append("| ").append(g.get(0).methods().get(i).method()).append(" |");
        for (String c : classes) {
          double v =
              g.stream()
                  .mapToDouble(r -> r.methods().get(i).imageAuroc().get(c))
                  .average()
                  .orElse(0);
          md.append(String.format(Locale.ROOT, " %.4f |", v));
        }
        md.append('\n');
      }
    }
    md.append(
        "\n| tail | noise | TailSampler recall of tail images | precision |\n|---|---:|---:|---:|\n");
    for (List<LongTailRun.Result> g : groups.values()) {
      double[] recall =
          g.stream()
              .mapToDouble(LongTailRun.Result::tailRecall)
              .filter(v -> !Double.isNaN(v))
              .toArray();
      double[] precision =
          g.stream()
              .filter(r -> !Double.isNaN(r.tailRecall()))
              .mapToDouble(LongTailRun.Result::tailPrecision)
              .toArray();
      md.append(
          String.format(
              Locale.ROOT,
              "| %s | %.2f | %s | %s |%n",
              g.get(0).manifest().tail(),
              g.get(0).manifest().noise(),
              meanStd(recall),
              meanStd(precision)));
    }
    md.append(String.format(Locale.ROOT, "%n%d manifest(s) in %.0f s.%n", results.size(), seconds));
    return md.toString();
  }

  public static String meanStd(double[] v) {
    if (v.length == 0) {
      return "-";
    }
    double mean = java.util.Arrays.stream(v).average().orElse(Double.NaN);
    if (v.length == 1) {
      return String.format(Locale.ROOT, "%.4f", mean);
    }
    double var =
        java.util.Arrays.stream(v).map(x -> (x - mean) * (x - mean)).sum() / (v.length - 1);
    return String.format(Locale.ROOT, "%.4f ± %.4f", mean, Math.sqrt(var));
  }
}
