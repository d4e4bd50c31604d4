package io.tailwatch.schemas;

import org.apache.avro.util.ClassSecurityValidator;
import org.apache.avro.util.ClassSecurityValidator.ClassSecurityPredicate;

/**
 * Avro 1.12.1+ refuses to instantiate classes it does not trust while decoding ("Forbidden ... This
 * class is not trusted"). Our generated records live in one package; this adds exactly that package
 * to the global validator, once per JVM. Every decoding path (serdes, Flink deserializers) calls
 * {@link #install()}.
 */
public final class AvroTrust {
  private static final String PACKAGE_PREFIX = AvroTrust.class.getPackageName() + ".";
  private static volatile boolean installed;

  private AvroTrust() {}

  /** Idempotent and thread safe. */
  public static void install() {
    if (installed) {
      return;
    }
    synchronized (AvroTrust.class) {
      if (installed) {
        return;
      }
      ClassSecurityPredicate ours = AvroTrust::isOurs;
      ClassSecurityValidator.setGlobal(
          ClassSecurityValidator.composite(ClassSecurityValidator.getGlobal(), ours));
      installed = true;
    }
  }

  static boolean isOurs(Class<?> clazz) {
    return clazz.getName().startsWith(PACKAGE_PREFIX);
  }
}
