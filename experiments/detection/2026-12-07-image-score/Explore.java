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
  static String[] NAMES = {"max", "top3", "top10", "mapmax", "top1%", "max3x3", "top5", "lse4", "lse2", "lse8", "top20", "lse16"};
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
      Path dir = Path.of("/tmp/mt/aug-" + aug + "-" + seed);
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
    PatchEmbeddingSpec d = PatchEmbeddingSpec.defaults(model.layers(layers));
    int target = Math.min(128, new PatchEmbeddingSpec(d.layers(), nb, 0, 1).stackedDim());
    PatchEmbeddingSpec spec = new PatchEmbeddingSpec(d.layers(), nb, 0, target);
    Preprocessing pre = new Preprocessing(224, 0, Preprocessing.IMAGENET_MEAN, Preprocessing.IMAGENET_STD);
    PatchCoreFitter.Options fit = new PatchCoreFitter.Options(coreset, CoresetMethod.parse("approximate"), 128, 42, 16, pre);
    DetectorOptions det = new DetectorOptions(false, Reweighting.DEFAULT_NEIGHBOURS, 4.0);
    List<LabeledImage> test = split.test();
    int n = test.size();
    double[][] agg = new double[NAMES.length][n];
    String[] names = NAMES;
    try (FeatureExtractor ex = FeatureExtractor.open(model, spec, ExecutionProvider.CPU, 0, ComputePrecision.FP32);
        OnnxKnnScorer knn = OnnxKnnScorer.open(ExecutionProvider.CPU, 0)) {
      PatchCoreEvaluation ev = new PatchCoreEvaluation(ex, ex, knn, knn, fit, det);
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
      for (int k = 0; k < names.length; k++) {
        sb.append(String.format(Locale.ROOT, " %s %.4f", names[k], auroc(agg[k], lab)));
      }
      for (String type : test.stream().filter(LabeledImage::anomalous).map(LabeledImage::type).distinct().toList()) {
        List<Integer> idx = new ArrayList<>();
        for (int i = 0; i < n; i++) if (!lab[i] || test.get(i).type().equals(type)) idx.add(i);
        double[] sc = idx.stream().mapToDouble(i -> agg[0][i]).toArray();
        boolean[] lb = new boolean[idx.size()]; for (int j = 0; j < lb.length; j++) lb[j] = lab[idx.get(j)];
        sb.append(String.format(Locale.ROOT, " | %s %.4f", type, auroc(sc, lb)));
      }
      System.out.println(sb);
      Files.writeString(Path.of("/tmp/mt/results.txt"), sb + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }
  }

  static void aggregate(double[][] agg, int i, Detection dd) {
          
          float[] p = dd.patchScores().clone();
          float[] s = p.clone(); Arrays.sort(s);
          int m = s.length;
          agg[0][i] = s[m - 1];
          agg[1][i] = (s[m-1] + s[m-2] + s[m-3]) / 3;
          double t = 0; for (int k = 1; k <= 10; k++) t += s[m-k]; agg[2][i] = t / 10;
          float mx = -1e30f; for (float v : dd.map()) mx = Math.max(mx, v); agg[3][i] = mx;
          int k1 = Math.max(1, m / 100); t = 0; for (int k = 1; k <= k1; k++) t += s[m-k]; agg[4][i] = t / k1;
          int gh = dd.gridHeight(), gw = dd.gridWidth(); double best = -1;
          for (int y = 0; y < gh; y++) for (int x = 0; x < gw; x++) {
            double acc = 0; int c = 0;
            for (int dy = -1; dy <= 1; dy++) for (int dx = -1; dx <= 1; dx++) {
              int yy = y + dy, xx = x + dx; if (yy < 0 || xx < 0 || yy >= gh || xx >= gw) continue;
              acc += p[yy * gw + xx]; c++; }
            best = Math.max(best, acc / c); }
          agg[5][i] = best;
          t = 0; for (int k = 1; k <= 5; k++) t += s[m-k]; agg[6][i] = t / 5;
          t = 0; for (int k = 1; k <= 20; k++) t += s[m-k]; agg[10][i] = t / 20;
          agg[8][i] = lse(p, s[m-1], 2); agg[9][i] = lse(p, s[m-1], 8); agg[11][i] = lse(p, s[m-1], 16);
          double lse = 0; double sm = s[m-1]; for (float v : p) lse += Math.exp((v - sm) * 4 / Math.max(1e-6, sm)); agg[7][i] = sm + Math.log(lse) * sm / 4;
        
  }

  static double lse(float[] p, double sm, double beta) {
    double acc = 0; for (float v : p) acc += Math.exp((v - sm) * beta / Math.max(1e-6, sm));
    return sm + Math.log(acc) * sm / beta;
  }

  static double auroc(double[] s, boolean[] lab) {
    long pos = 0, neg = 0; double wins = 0;
    for (int i = 0; i < s.length; i++) for (int j = 0; j < s.length; j++)
      if (lab[i] && !lab[j]) { wins += s[i] > s[j] ? 1 : s[i] == s[j] ? 0.5 : 0; }
    for (boolean b : lab) if (b) pos++; else neg++;
    return wins / (pos * neg);
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
