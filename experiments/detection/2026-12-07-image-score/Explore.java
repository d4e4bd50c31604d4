import io.tailwatch.detector.bank.*;
import io.tailwatch.detector.data.*;
import io.tailwatch.detector.eval.*;
import io.tailwatch.detector.features.*;
import io.tailwatch.detector.image.*;
import io.tailwatch.detector.knn.*;
import io.tailwatch.detector.metrics.*;
import io.tailwatch.detector.scoring.*;
import io.tailwatch.detector.onnx.*;
import java.nio.file.*;
import java.util.*;
import java.awt.image.BufferedImage;
import javax.imageio.ImageIO;

/** Scratch: MT variants; dumps alternative image-score aggregations. */
public class Explore {
  static final String[] NAMES = {
    "max", "top3", "top10", "mapmax", "top1%", "max3x3", "top5", "lse4", "lse2", "lse8", "top20", "lse16"
  };
  public static void main(String[] a) throws Exception {
    String backbone = a[0];
    List<String> layers = List.of(a[1].split(","));
    int nb = Integer.parseInt(a[2]);
    String aug = a[3];
    double coreset = Double.parseDouble(a[4]);
    long seed = a.length > 5 ? Long.parseLong(a[5]) : 42;
    Path data = Path.of(System.getenv("TAILWATCH_DATA_DIR"));
    Path models = Path.of(System.getenv("TAILWATCH_MODEL_DIR"));
    MagneticTile.Split split = MagneticTile.split(MagneticTile.resolveRoot(data), 0.8, seed);
    List<LabeledImage> train = new ArrayList<>(split.train());
    if (!aug.equals("none")) {
      Path dir = Path.of(System.getProperty("java.io.tmpdir"), "tailwatch-mt-aug-" + aug + "-" + seed);
      Files.createDirectories(dir);
      for (LabeledImage li : split.train()) {
        BufferedImage img = ImageIO.read(li.image().toFile());
        String stem = li.image().getFileName().toString().replaceFirst("\\.[^.]+$", "");
        for (String op : aug.split("\\+")) {
          Path out = dir.resolve(stem + "_" + op + ".png");
          if (!Files.exists(out)) ImageIO.write(transform(img, op), "png", out.toFile());
          train.add(new LabeledImage(out, null, "good", false));
        }
      }
    }
    BackboneModel model = BackboneModel.load(models.resolve(backbone));
    PatchEmbeddingSpec spec = spec(model, layers, nb);
    List<LabeledImage> test = split.test();
    int n = test.size();
    double[][] agg = new double[NAMES.length][n];
    try (FeatureExtractor ex = FeatureExtractor.open(model, spec, ExecutionProvider.CPU, 0, ComputePrecision.FP32);
        OnnxKnnScorer knn = OnnxKnnScorer.open(ExecutionProvider.CPU, 0)) {
      PatchCoreEvaluation ev = evaluation(ex, knn, coreset);
      Map<Path, Integer> at = new HashMap<>();
      for (int i = 0; i < n; i++) at.put(test.get(i).image(), i);
      EvaluationResult r = ev.run("mt", train, List.of(), 0.01, test, new PatchCoreEvaluation.Listener() {
        @Override public void scored(LabeledImage li, FloatImage f, Detection dd) {
          aggregate(agg, at.get(li.image()), dd);
        }
      });
      System.out.println(r.overall());
      boolean[] lab = new boolean[n];
      for (int i = 0; i < n; i++) lab[i] = test.get(i).anomalous();
      StringBuilder sb = new StringBuilder(String.join(" ", a) + " |");
      for (int k = 0; k < NAMES.length; k++) {
        sb.append(String.format(Locale.ROOT, " %s %.4f", NAMES[k], auroc(agg[k], lab)));
      }
      for (String type : test.stream().filter(LabeledImage::anomalous).map(LabeledImage::type).distinct().toList()) {
        List<Integer> idx = new ArrayList<>();
        for (int i = 0; i < n; i++) if (!lab[i] || test.get(i).type().equals(type)) idx.add(i);
        double[] sc = idx.stream().mapToDouble(i -> agg[0][i]).toArray();
        boolean[] lb = new boolean[idx.size()]; for (int j = 0; j < lb.length; j++) lb[j] = lab[idx.get(j)];
        sb.append(String.format(Locale.ROOT, " | %s %.4f", type, auroc(sc, lb)));
      }
      System.out.println(sb);
    }
  }

  /** The evaluate command's patch embedding: per-channel pooling, at most 128 dimensions. */
  static PatchEmbeddingSpec spec(BackboneModel model, List<String> layers, int neighbourhood) {
    PatchEmbeddingSpec d = PatchEmbeddingSpec.defaults(model.layers(layers));
    int target = Math.min(128, new PatchEmbeddingSpec(d.layers(), neighbourhood, 0, 1).stackedDim());
    return new PatchEmbeddingSpec(d.layers(), neighbourhood, 0, target);
  }

  /** evaluate's defaults: 224 px, approximate greedy coreset, seed 42, batch 16, no reweighting. */
  static PatchCoreEvaluation evaluation(FeatureExtractor ex, OnnxKnnScorer knn, double coreset) {
    Preprocessing pre = new Preprocessing(224, 0, Preprocessing.IMAGENET_MEAN, Preprocessing.IMAGENET_STD);
    PatchCoreFitter.Options fit =
        new PatchCoreFitter.Options(coreset, CoresetMethod.APPROXIMATE, 128, 42, 16, pre);
    DetectorOptions det = new DetectorOptions(false, Reweighting.DEFAULT_NEIGHBOURS, 4.0);
    return new PatchCoreEvaluation(ex, ex, knn, knn, fit, det);
  }

  /** Every NAMES aggregate of one test image's patch distances, into column i. */
  static void aggregate(double[][] agg, int i, Detection dd) {
    float[] p = dd.patchScores();
    int m = p.length;
    double max = ImageScoring.topKMean(p, 0, m, 1);
    agg[0][i] = max;
    agg[1][i] = ImageScoring.topKMean(p, 0, m, 3);
    agg[2][i] = ImageScoring.topKMean(p, 0, m, 10);
    float mapMax = Float.NEGATIVE_INFINITY;
    for (float v : dd.map()) {
      mapMax = Math.max(mapMax, v);
    }
    agg[3][i] = mapMax;
    agg[4][i] = ImageScoring.topKMean(p, 0, m, Math.max(1, m / 100));
    agg[5][i] = max3x3(p, dd.gridHeight(), dd.gridWidth());
    agg[6][i] = ImageScoring.topKMean(p, 0, m, 5);
    agg[7][i] = lse(p, max, 4);
    agg[8][i] = lse(p, max, 2);
    agg[9][i] = lse(p, max, 8);
    agg[10][i] = ImageScoring.topKMean(p, 0, m, 20);
    agg[11][i] = lse(p, max, 16);
  }

  /** The largest mean of a 3x3 window (clipped at the borders) of the patch-distance grid. */
  static double max3x3(float[] p, int gh, int gw) {
    double best = Double.NEGATIVE_INFINITY;
    for (int y = 0; y < gh; y++) {
      for (int x = 0; x < gw; x++) {
        double acc = 0;
        int c = 0;
        for (int yy = Math.max(0, y - 1); yy <= Math.min(gh - 1, y + 1); yy++) {
          for (int xx = Math.max(0, x - 1); xx <= Math.min(gw - 1, x + 1); xx++) {
            acc += p[yy * gw + xx];
            c++;
          }
        }
        best = Math.max(best, acc / c);
      }
    }
    return best;
  }

  /** A soft maximum: max + (max / beta) ln sum exp(beta (d - max) / max). */
  static double lse(float[] p, double max, double beta) {
    double acc = 0;
    for (float v : p) {
      acc += Math.exp((v - max) * beta / Math.max(1e-6, max));
    }
    return max + Math.log(acc) * max / beta;
  }

  static double auroc(double[] scores, boolean[] labels) {
    return BinaryScores.of(scores, labels).auroc();
  }

  static BufferedImage transform(BufferedImage src, String op) {
    int w = src.getWidth(), h = src.getHeight();
    boolean rot = op.equals("rot90") || op.equals("rot270");
    BufferedImage out = new BufferedImage(rot ? h : w, rot ? w : h, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) {
      int v = src.getRGB(x, y);
      switch (op) {
        case "hflip" -> out.setRGB(w - 1 - x, y, v);
        case "vflip" -> out.setRGB(x, h - 1 - y, v);
        case "rot180" -> out.setRGB(w - 1 - x, h - 1 - y, v);
        case "rot90" -> out.setRGB(h - 1 - y, x, v);
        case "rot270" -> out.setRGB(y, w - 1 - x, v);
        default -> throw new IllegalArgumentException(op);
      }
    }
    return out;
  }
}
