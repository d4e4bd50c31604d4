package io.tailwatch.tools.evaluation;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.tailwatch.detector.eval.EvaluationResult;
import io.tailwatch.detector.metrics.Intervals;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * The tables and the JSON of an evaluation over classes: per class and method, the mean over
 * classes with a 95% t interval (classes as the sample), and each class's defect types. A failed
 * class shows its error in its row and counts as failed in the means, never as a number.
 */
public final class PoolReport {
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /** What the run was, for the header. */
  public record Setup(
      String dataset,
      List<String> methods,
      String recipe,
      double calibrationHoldout,
      int calibrationFolds,
      String calibrationGroups,
      double falseAlarmRate,
      double wallSeconds,
      int threads) {}

  private PoolReport() {}

  /** The mean over classes of one figure, for one method. */
  public static Intervals.Interval mean(
      List<ClassOutcome> outcomes, String method, ToDoubleFunction<EvaluationResult> figure) {
    return Intervals.mean(
        outcomes.stream()
            .filter(o -> o.method().equals(method) && !o.failed())
            .mapToDouble(o -> figure.applyAsDouble(o.result()))
            .toArray());
  }

  static double falseAlarmRate(EvaluationResult r) {
    EvaluationResult.AtThreshold t = r.atThreshold();
    return t == null ? Double.NaN : t.falseAlarmRate().estimate();
  }

  static double recall(EvaluationResult r) {
    EvaluationResult.AtThreshold t = r.atThreshold();
    return t == null ? Double.NaN : t.recall().estimate();
  }

  /**
   * All classes' test images at their own fitted thresholds, counted together: a rate over every
   * normal image, which a small class's 0 of 27 cannot show alone.
   */
  static java.util.Optional<String> pooledAtThreshold(List<ClassOutcome> outcomes, String method) {
    int falseAlarms = 0;
    int normals = 0;
    int detected = 0;
    int anomalous = 0;
    for (ClassOutcome o : outcomes) {
      if (!o.method().equals(method) || o.failed() || o.result().atThreshold() == null) {
        continue;
      }
      EvaluationResult.AtThreshold t = o.result().atThreshold();
      falseAlarms += t.falseAlarms();
      normals += t.normals();
      detected += t.detected();
      anomalous += t.anomalous();
    }
    if (normals == 0) {
      return java.util.Optional.empty();
    }
    Intervals.Interval fa = Intervals.proportion(falseAlarms, normals);
    Intervals.Interval rec = anomalous == 0 ? null : Intervals.proportion(detected, anomalous);
    return java.util.Optional.of(
        String.format(
            Locale.ROOT,
            "%s, every class at its fitted threshold, counted together: false alarms %d/%d ="
                + " %.2f%% [%.2f, %.2f]%s.",
            method,
            falseAlarms,
            normals,
            100 * fa.estimate(),
            100 * fa.low(),
            100 * fa.high(),
            rec == null
                ? ""
                : String.format(
                    Locale.ROOT,
                    ", recall %d/%d = %.1f%% [%.1f, %.1f]",
                    detected,
                    anomalous,
                    100 * rec.estimate(),
                    100 * rec.low(),
                    100 * rec.high())));
  }

  public static String markdown(Setup setup, List<ClassOutcome> outcomes) {
    StringBuilder sb = new StringBuilder();
    sb.append("# Evaluation: ").append(setup.dataset()).append("\n\n");
    String calibration =
        setup.calibrationFolds() > 0
            ? String.format(
                Locale.ROOT,
                "the bank is fitted on all of train/good; the threshold for a %.1f%% false-alarm"
                    + " rate on %d-fold cross-fitted scores of those images%s",
                100 * setup.falseAlarmRate(),
                setup.calibrationFolds(),
                setup.calibrationGroups() == null
                    ? ""
                    : " (images whose names share the match of `"
                        + setup.calibrationGroups()
                        + "` in one fold)")
            : String.format(
                Locale.ROOT,
                "the bank is fitted on train/good less a seeded %.0f%% held out to fit the"
                    + " threshold for a %.1f%% false-alarm rate (as `fit --calibration-holdout` does)",
                100 * setup.calibrationHoldout(),
                100 * setup.falseAlarmRate());
    sb.append(
        String.format(
            Locale.ROOT,
            "%s. Each class: %s; tested on test/. Pixel figures at the network input geometry;"
                + " AUPRO integrated to FPR 0.3. Intervals are 95%%: Hanley-McNeil for a class's"
                + " image AUROC, Wilson for rates, Student's t over classes for means.%n%n",
            setup.recipe(),
            calibration));
    sb.append("## Mean over classes\n\n");
    sb.append(
        "| method | classes | image AUROC | pixel AUROC | AUPRO | F1-max | false-alarm rate at"
            + " threshold | recall at threshold | failed |\n");
    sb.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (String m : setup.methods()) {
      long done = outcomes.stream().filter(o -> o.method().equals(m) && !o.failed()).count();
      long failed = outcomes.stream().filter(o -> o.method().equals(m) && o.failed()).count();
      sb.append(
          String.format(
              Locale.ROOT,
              "| %s | %d | %s | %s | %s | %s | %s | %s | %d |%n",
              m,
              done,
              meanCell(mean(outcomes, m, r -> r.overall().imageAuroc())),
              meanCell(mean(outcomes, m, r -> r.overall().pixelAuroc())),
              meanCell(mean(outcomes, m, r -> r.overall().pro())),
              meanCell(mean(outcomes, m, r -> r.overall().f1Max())),
              meanCell(mean(outcomes, m, PoolReport::falseAlarmRate)),
              meanCell(mean(outcomes, m, PoolReport::recall)),
              failed));
    }
    sb.append(
        "\nPixel AUROC and AUPRO are means over the classes with masks; a mean is ± its 95%"
            + " interval's half-width.\n");
    for (String m : setup.methods()) {
      pooledAtThreshold(outcomes, m).ifPresent(line -> sb.append(line).append('\n'));
    }
    sb.append('\n');
    sb.append("## Per class\n\n");
    sb.append(
        "| class | method | train (held out) | test good / defective | image AUROC [95% CI] |"
            + " pixel AUROC | AUPRO | F1-max | threshold | false alarms | recall | seconds |\n");
    sb.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (ClassOutcome o : outcomes) {
      if (o.failed()) {
        sb.append(
            String.format(
                Locale.ROOT,
                "| %s | %s | - | - | **failed**: %s | - | - | - | - | - | - | %.0f |%n",
                o.className(),
                o.method(),
                o.error().replace("|", "\\|"),
                o.seconds()));
        continue;
      }
      EvaluationResult r = o.result();
      EvaluationResult.Row all = r.overall();
      Intervals.Interval auc = all.imageAurocInterval();
      EvaluationResult.AtThreshold t = r.atThreshold();
      sb.append(
          String.format(
              Locale.ROOT,
              "| %s | %s | %d (%d) | %d / %d | %s [%s, %s] | %s | %s | %s | %s | %s | %s | %.0f |%n",
              o.className(),
              o.method(),
              r.trainImages(),
              r.calibrationImages(),
              all.normal(),
              all.anomalous(),
              f(auc.estimate()),
              f3(auc.low()),
              f3(auc.high()),
              f(all.pixelAuroc()),
              f(all.pro()),
              f(all.f1Max()),
              t == null
                  ? "-"
                  : String.format(
                      Locale.ROOT, "%.4f%s", t.threshold(), t.empirical() ? "" : " (G)"),
              t == null ? "-" : rate(t.falseAlarms(), t.normals(), t.falseAlarmRate()),
              t == null ? "-" : rate(t.detected(), t.anomalous(), t.recall()),
              o.seconds()));
    }
    sb.append(
        "\n(G): too few calibration scores for the conformal quantile (99 at 1%), so the threshold"
            + " is the Gaussian fit's, as `fit` would set it. Rates are k/n with their 95%"
            + " interval.\n\n");
    sb.append("## Per defect type\n\n");
    for (ClassOutcome o : outcomes) {
      if (!o.failed()) {
        sb.append("### ").append(o.className()).append(" (").append(o.method()).append(")\n\n");
        sb.append(o.result().markdown()).append('\n');
      }
    }
    sb.append(
        String.format(
            Locale.ROOT,
            "Evaluated in %.0f s on %d threads.%n",
            setup.wallSeconds(),
            setup.threads()));
    return sb.toString();
  }

  /** The same as JSON: every figure, every test image's score, errors as text. */
  public static void writeJson(Setup setup, List<ClassOutcome> outcomes, Path file)
      throws IOException {
    Map<String, Object> root = new LinkedHashMap<>();
    root.put("dataset", setup.dataset());
    root.put("methods", setup.methods());
    root.put("recipe", setup.recipe());
    root.put("calibrationHoldout", setup.calibrationHoldout());
    root.put("calibrationFolds", setup.calibrationFolds());
    root.put("calibrationGroups", setup.calibrationGroups());
    root.put("falseAlarmRate", setup.falseAlarmRate());
    root.put("wallSeconds", setup.wallSeconds());
    root.put("threads", setup.threads());
    Map<String, Object> means = new LinkedHashMap<>();
    for (String m : setup.methods()) {
      Map<String, Object> mm = new LinkedHashMap<>();
      mm.put("imageAuroc", interval(mean(outcomes, m, r -> r.overall().imageAuroc())));
      mm.put("pixelAuroc", interval(mean(outcomes, m, r -> r.overall().pixelAuroc())));
      mm.put("aupro", interval(mean(outcomes, m, r -> r.overall().pro())));
      mm.put("f1Max", interval(mean(outcomes, m, r -> r.overall().f1Max())));
      mm.put("falseAlarmRate", interval(mean(outcomes, m, PoolReport::falseAlarmRate)));
      mm.put("recall", interval(mean(outcomes, m, PoolReport::recall)));
      mm.put("failed", outcomes.stream().filter(o -> o.method().equals(m) && o.failed()).count());
      means.put(m, mm);
    }
    root.put("means", means);
    List<Object> classes = new ArrayList<>();
    for (ClassOutcome o : outcomes) {
      Map<String, Object> c = new LinkedHashMap<>();
      c.put("class", o.className());
      c.put("method", o.method());
      c.put("seconds", o.seconds());
      if (o.failed()) {
        c.put("error", o.error());
      } else {
        classJson(o.result(), c);
      }
      classes.add(c);
    }
    root.put("classes", classes);
    JSON.writeValue(file.toFile(), root);
  }

  private static void classJson(EvaluationResult r, Map<String, Object> c) {
    c.put("trainImages", r.trainImages());
    c.put("calibrationImages", r.calibrationImages());
    c.put("calibrationFolds", r.calibrationFolds());
    if (r.calibrationScores() != null) {
      // the scores the threshold was fitted on, so another threshold rule can be tried offline
      c.put("calibrationScores", r.calibrationScores());
    }
    c.put("bankSize", r.bankSize());
    c.put("backbone", r.backbone());
    c.put("provider", r.provider());
    c.put("overall", row(r.overall()));
    c.put("imageAurocInterval", interval(r.overall().imageAurocInterval()));
    EvaluationResult.AtThreshold t = r.atThreshold();
    if (t != null) {
      Map<String, Object> th = new LinkedHashMap<>();
      th.put("threshold", t.threshold());
      th.put("empirical", t.empirical());
      th.put("falseAlarms", t.falseAlarms());
      th.put("normals", t.normals());
      th.put("falseAlarmRate", interval(t.falseAlarmRate()));
      th.put("detected", t.detected());
      th.put("anomalous", t.anomalous());
      th.put("recall", interval(t.recall()));
      c.put("atThreshold", th);
    }
    c.put("types", r.rows().stream().map(PoolReport::row).toList());
    c.put("fitSeconds", r.embedSeconds() + r.coresetSeconds());
    c.put("framesPerSecond", r.framesPerSecond());
    c.put(
        "scores",
        r.imageScores().stream()
            .map(
                s -> {
                  Map<String, Object> m = new LinkedHashMap<>();
                  m.put("image", s.image());
                  m.put("type", s.type());
                  m.put("score", s.score());
                  return m;
                })
            .toList());
  }

  private static Map<String, Object> row(EvaluationResult.Row r) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("type", r.type());
    m.put("normal", r.normal());
    m.put("anomalous", r.anomalous());
    m.put("imageAuroc", num(r.imageAuroc()));
    m.put("pixelAuroc", num(r.pixelAuroc()));
    m.put("aupro", num(r.pro()));
    m.put("pixelAp", num(r.pixelAp()));
    m.put("f1Max", num(r.f1Max()));
    return m;
  }

  private static Map<String, Object> interval(Intervals.Interval i) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("estimate", num(i.estimate()));
    m.put("low", num(i.low()));
    m.put("high", num(i.high()));
    return m;
  }

  /** NaN (a figure that does not apply) as JSON null, not the non-standard NaN token. */
  private static Double num(double v) {
    return Double.isFinite(v) ? v : null;
  }

  private static String rate(int k, int n, Intervals.Interval i) {
    return String.format(
        Locale.ROOT,
        "%d/%d = %.1f%% [%.1f, %.1f]",
        k,
        n,
        100 * i.estimate(),
        100 * i.low(),
        100 * i.high());
  }

  private static String meanCell(Intervals.Interval i) {
    if (Double.isNaN(i.estimate())) {
      return "-";
    }
    if (Double.isNaN(i.low())) {
      return f(i.estimate());
    }
    return String.format(Locale.ROOT, "%.4f ± %.4f", i.estimate(), i.halfWidth());
  }

  private static String f(double v) {
    return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.4f", v);
  }

  private static String f3(double v) {
    return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.3f", v);
  }

  /** Writes the markdown and JSON next to each other; returns the markdown file. */
  public static Path write(Setup setup, List<ClassOutcome> outcomes, Path dir, String stem)
      throws IOException {
    Files.createDirectories(dir);
    Path md = dir.resolve(stem + ".md");
    Files.writeString(md, markdown(setup, outcomes));
    writeJson(setup, outcomes, dir.resolve(stem + ".json"));
    return md;
  }
}
