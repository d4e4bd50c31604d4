package io.tailwatch.tools;

import java.nio.file.NoSuchFileException;

/** One-line descriptions of failures for the command line. */
final class CliErrors {
  private CliErrors() {}

  /**
   * An enum-valued option, case-insensitive; a bad value names the option and the allowed values.
   */
  static <E extends Enum<E>> E enumOption(Class<E> type, String value, String option) {
    try {
      return Enum.valueOf(type, value.trim().toUpperCase(java.util.Locale.ROOT).replace('-', '_'));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          option
              + " must be one of "
              + java.util.Arrays.toString(type.getEnumConstants())
                  .toLowerCase(java.util.Locale.ROOT)
              + " (was '"
              + value
              + "')");
    }
  }

  static String describe(Throwable e) {
    Throwable t = e;
    while ((t instanceof java.io.UncheckedIOException
            || t instanceof java.util.concurrent.CompletionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    if (t instanceof NoSuchFileException nsf) {
      return "no such file or directory: "
          + nsf.getFile()
          + (nsf.getReason() == null ? "" : " (" + nsf.getReason() + ")");
    }
    String m = t.getMessage();
    return m == null || m.isBlank() ? t.getClass().getSimpleName() : m;
  }
}
