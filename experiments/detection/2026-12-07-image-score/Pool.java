import io.tailwatch.detector.bank.*;
import io.tailwatch.detector.data.*;
import io.tailwatch.detector.eval.*;
import io.tailwatch.detector.features.*;
import io.tailwatch.detector.image.*;
import io.tailwatch.detector.knn.*;
import io.tailwatch.detector.scoring.*;
import io.tailwatch.detector.onnx.*;
import java.nio.file.*;
import java.util.*;

/** Scratch: image-score aggregations over the pool. */
public class Pool {
  public static void main(String[] a) throws Exception {
    String backbone = a[0];
    List<String> layers = List.of(a[1].split(","));
    int nb = Integer.parseInt(a[2]);
    double coreset = Double.parseDouble(a[3]);
    Path root = Path.of(a[4]);
    Path models = Path.of(System.getenv("TAILWATCH_MODEL_DIR"));
    BackboneModel model = BackboneModel.load(models.resolve(backbone));
    PatchEmbeddingSpec spec = Explore.spec(model, layers, nb);
    String[] names = Explore.NAMES;
    double[] sums = new double[names.length];
    int classes = 0;
    try (FeatureExtractor ex = FeatureExtractor.open(model, spec, ExecutionProvider.CPU, 0, ComputePrecision.FP32);
        OnnxKnnScorer knn = OnnxKnnScorer.open(ExecutionProvider.CPU, 0)) {
      PatchCoreEvaluation ev = Explore.evaluation(ex, knn, coreset);
      for (Path dir : MvtecLayout.findClasses(root)) {
        String name = MvtecLayout.name(root, dir);
        if (a.length > 5 && !name.matches(a[5])) continue;
        MvtecLayout.MvtecClass c = MvtecLayout.read(dir, name);
        List<LabeledImage> test = c.test();
        int n = test.size();
        double[][] agg = new double[names.length][n];
        Map<Path, Integer> at = new HashMap<>();
        for (int i = 0; i < n; i++) at.put(test.get(i).image(), i);
        ev.run(name, c.train(), List.of(), 0.01, test, new PatchCoreEvaluation.Listener() {
          @Override public void scored(LabeledImage li, FloatImage f, Detection dd) {
            Explore.aggregate(agg, at.get(li.image()), dd);
          }
        });
        boolean[] lab = new boolean[n];
        for (int i = 0; i < n; i++) lab[i] = test.get(i).anomalous();
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%-28s", name));
        for (int k = 0; k < names.length; k++) {
          double v = Explore.auroc(agg[k], lab);
          sums[k] += v;
          sb.append(String.format(Locale.ROOT, " %s %.4f", names[k], v));
        }
        classes++;
        System.out.println(sb);
      }
    }
    StringBuilder sb = new StringBuilder(String.join(" ", a) + " | MEAN over " + classes);
    for (int k = 0; k < names.length; k++) sb.append(String.format(Locale.ROOT, " %s %.4f", names[k], sums[k] / classes));
    System.out.println(sb);
  }
}
