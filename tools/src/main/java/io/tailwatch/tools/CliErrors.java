package io.tailwatch.tools;

import java.nio.file.NoSuchFileException;

/** One-line descriptions of failures for the command line. */
final class CliErrors {
  private CliErrors() {}

  static String describe(Throwable e) {
    Throwable t = e;
    while ((t instanceof java.io.UncheckedIOException || t instanceof java.util.concurrent.CompletionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    if (t instanceof NoSuchFileException nsf) {
      return "no such file or directory: " + nsf.getFile() + (nsf.getReason() == null ? "" : " (" + nsf.getReason() + ")");
    }
    String m = t.getMessage();
    return m == null || m.isBlank() ? t.getClass().getSimpleName() : m;
  }
}
