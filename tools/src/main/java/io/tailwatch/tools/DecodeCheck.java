package io.tailwatch.tools;

import io.tailwatch.detector.image.ImageDecodeException;
import io.tailwatch.detector.image.ImageDecoder;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Decodes every image once before the heavy work starts, so that a corrupt or truncated file stops
 * a command in seconds with its name, not after minutes of embedding; or, when asked, is skipped
 * and counted.
 */
final class DecodeCheck {
  private DecodeCheck() {}

  static List<Path> readable(
      List<Path> files, ImageDecoder decoder, boolean skipBad, String label, PrintWriter err)
      throws IOException {
    List<Path> ok = new ArrayList<>(files.size());
    List<String> bad = new ArrayList<>();
    try (ProgressBar bar = new ProgressBar(label + " check")) {
      for (int i = 0; i < files.size(); i++) {
        Path p = files.get(i);
        try {
          decoder.read(p);
          ok.add(p);
        } catch (ImageDecodeException | IOException e) {
          // the decoder's messages start with the file already
          String what = e instanceof ImageDecodeException ? e.getMessage() : p + ": " + e;
          if (!skipBad) {
            throw new IllegalArgumentException(
                "cannot decode " + what + " (--skip-bad skips such files)");
          }
          bad.add(what);
        }
        bar.update(i + 1, files.size());
      }
    }
    for (String b : bad) {
      err.println(label + ": skipped " + b);
    }
    if (ok.isEmpty()) {
      throw new IllegalArgumentException(
          "none of the " + files.size() + " images could be decoded");
    }
    return ok;
  }
}
