package io.tailwatch.flink.config;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.description.HtmlFormatter;
import org.apache.flink.util.TimeUtils;

/**
 * Renders {@code docs/configuration.md} from {@link TailwatchOptions}: key, type, default and
 * description of every option, in declaration order. {@code ConfigurationDocsTest} fails when the
 * committed file and this output disagree; regenerate with {@code java -cp
 * flink-job/target/classes:... ConfigurationDocs docs/configuration.md} or by running that test
 * with {@code -Dtailwatch.docs.regenerate=true}.
 */
public final class ConfigurationDocs {
  private ConfigurationDocs() {}

  public static void main(String[] args) throws Exception {
    if (args.length != 1) {
      System.err.println("usage: ConfigurationDocs OUTPUT.md");
      System.exit(2);
    }
    Files.writeString(Path.of(args[0]), markdown());
  }

  /** The whole document. */
  public static String markdown() {
    StringBuilder b = new StringBuilder();
    b.append("# Configuration\n\n")
        .append(
            "<!-- Generated from TailwatchOptions by ConfigurationDocs; ConfigurationDocsTest keeps the two "
                + "in step. Edit the options' descriptions, not this file. -->\n\n")
        .append(
            "The job reads a YAML file (`--config FILE`, parsed as Flink parses its own `config.yaml`: flat ")
        .append(
            "`kafka.group-id: x` keys or nested maps) and `--key value` arguments, arguments winning. Every ")
        .append(
            "problem fails at start with the key in the message (`batch.max-size: must be in [1, 1024], was ")
        .append("0`), and unknown keys are refused rather than ignored.\n\n")
        .append("| key | type | default | description |\n|---|---|---|---|\n");
    for (Field field : optionFields()) {
      ConfigOption<?> option = option(field);
      b.append("| `")
          .append(option.key())
          .append("` | ")
          .append(typeName(field))
          .append(" | ")
          .append(defaultValue(option))
          .append(" | ")
          .append(cell(description(option)))
          .append(" |\n");
    }
    return b.toString();
  }

  /** The public static ConfigOption fields of {@link TailwatchOptions}, in declaration order. */
  static List<Field> optionFields() {
    List<Field> fields = new ArrayList<>();
    for (Field f : TailwatchOptions.class.getDeclaredFields()) {
      if (Modifier.isStatic(f.getModifiers())
          && Modifier.isPublic(f.getModifiers())
          && f.getType() == ConfigOption.class) {
        fields.add(f);
      }
    }
    return fields;
  }

  static ConfigOption<?> option(Field field) {
    try {
      return (ConfigOption<?>) field.get(null);
    } catch (IllegalAccessException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String typeName(Field field) {
    Type t = ((ParameterizedType) field.getGenericType()).getActualTypeArguments()[0];
    String simple = t instanceof Class<?> c ? c.getSimpleName() : t.getTypeName();
    return switch (simple) {
      case "String" -> "string";
      case "Integer" -> "int";
      case "Long" -> "long";
      case "Double" -> "double";
      case "Boolean" -> "boolean";
      case "Duration" -> "duration";
      default -> simple.toLowerCase(Locale.ROOT);
    };
  }

  private static String defaultValue(ConfigOption<?> option) {
    if (!option.hasDefaultValue()) {
      return "(none)";
    }
    Object value = option.defaultValue();
    String text =
        value instanceof Duration d ? TimeUtils.formatWithHighestUnit(d) : String.valueOf(value);
    return text.isEmpty() ? "empty" : "`" + text + "`";
  }

  private static String description(ConfigOption<?> option) {
    return new HtmlFormatter().format(option.description());
  }

  private static String cell(String text) {
    return text.replace("|", "\\|").replace("\n", " ");
  }
}
