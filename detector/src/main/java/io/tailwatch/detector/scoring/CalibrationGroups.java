package io.tailwatch.detector.scoring;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Which training images share a source, read from their file names: the tiles cut from one fabric
 * strip ({@code 0001_000_01_x0538.jpg}), the eight photos of one commutator ({@code
 * kos01_Part3.jpg}). Cross-fitted calibration keeps a source in one fold ({@link CrossCalibration})
 * as scikit-learn's {@code GroupKFold} does.
 *
 * <p>The pattern is searched in each name ({@link Matcher#find}); the images whose first capturing
 * group (the whole match when the pattern has none) is the same string share a source. An image
 * whose name does not match is a source of its own.
 */
public final class CalibrationGroups {
  private CalibrationGroups() {}

  /**
   * Compiles a calibration-group pattern; a bad one is an IllegalArgumentException naming {@code
   * option}.
   */
  public static Pattern compile(String regex, String option) {
    try {
      return Pattern.compile(regex);
    } catch (PatternSyntaxException e) {
      throw new IllegalArgumentException(
          option + " is not a regular expression: " + e.getDescription() + " in '" + regex + "'",
          e);
    }
  }

  /** The source of each name, 0..sources-1 in order of first appearance. */
  public static int[] of(List<String> names, Pattern pattern) {
    Map<String, Integer> ids = new HashMap<>();
    int[] out = new int[names.size()];
    int next = 0;
    for (int i = 0; i < out.length; i++) {
      String name = names.get(i);
      Matcher m = pattern.matcher(name);
      // "\0" cannot occur in a file name, so an unmatched name never collides with a key
      String key = m.find() ? (m.groupCount() > 0 ? m.group(1) : m.group()) : "\0" + i;
      if (key == null) { // an optional capturing group that did not take part
        key = "\0" + i;
      }
      Integer id = ids.get(key);
      if (id == null) {
        id = next++;
        ids.put(key, id);
      }
      out[i] = id;
    }
    return out;
  }

  /** The number of sources in {@link #of}'s result. */
  public static int count(int[] sources) {
    int max = -1;
    for (int s : sources) {
      max = Math.max(max, s);
    }
    return max + 1;
  }
}
