package io.tailwatch.detector.image;

import io.tailwatch.detector.scoring.Detection;
import io.tailwatch.detector.scoring.TiledScoring;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Run in a JVM of its own by {@code FrameMemoryTest}: reads, decodes and scores one frame tile by
 * tile, {@code args[1]} tiles per detector call, as the job does. The detector is a stand-in that
 * answers each tile with a network-sized map, as PatchCoreDetector does; its tensors would be
 * native memory. Prints the frame size and exits 0, or dies of OutOfMemoryError.
 */
public final class FrameMemoryProbe {
  static final int MAP = 224;

  public static void main(String[] args) throws Exception {
    byte[] bytes = Files.readAllBytes(Path.of(args[0]));
    int tileBatch = Integer.parseInt(args[1]);
    FloatImage frame = new ImageDecoder().decodeCompressed(bytes);
    Preprocessing p =
        new Preprocessing(MAP, 0, Preprocessing.IMAGENET_MEAN, Preprocessing.IMAGENET_STD);
    TiledScoring.TileDetector standIn =
        tiles -> {
          List<Detection> out = new ArrayList<>(tiles.size());
          for (FloatImage t : tiles) {
            float[] map = new float[MAP * MAP];
            map[t.width() % MAP] = t.data()[0];
            out.add(new Detection(t.data()[0], new float[784], 28, 28, map, MAP));
          }
          return out;
        };
    Detection d = TiledScoring.detectFrame(standIn, new Tiling(256, 256), p, frame, tileBatch);
    System.out.println(frame.width() + "x" + frame.height() + " scored, map " + d.mapSize());
  }
}
