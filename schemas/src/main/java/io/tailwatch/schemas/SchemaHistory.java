package io.tailwatch.schemas;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.Schema;

/**
 * The earlier versions of a record's schema, kept as resources {@code history/<Name>-<n>.avsc} (n =
 * 1, 2, ...) beside this class, so that {@link AvroSerdes} decodes what a producer one release
 * behind still writes. A record type gets an entry when a field is added; the named types an old
 * schema refers to (Modality, Region, ...) resolve to today's.
 */
final class SchemaHistory {
  private SchemaHistory() {}

  /** The earlier schemas of {@code current}'s record, oldest first; empty when it never changed. */
  static List<Schema> previous(Schema current) {
    List<Schema> out = new ArrayList<>();
    for (int n = 1; ; n++) {
      String resource = "history/" + current.getName() + "-" + n + ".avsc";
      try (InputStream in = SchemaHistory.class.getResourceAsStream(resource)) {
        if (in == null) {
          return out;
        }
        Schema.Parser parser = new Schema.Parser();
        for (Schema.Field f : current.getFields()) {
          defineNamedTypes(parser, f.schema());
        }
        out.add(parser.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8)));
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read schema history " + resource, e);
      }
    }
  }

  /** Makes today's enums and fixed types known to the parser of an old schema. */
  private static void defineNamedTypes(Schema.Parser parser, Schema s) {
    switch (s.getType()) {
      case ENUM, FIXED -> {
        if (!parser.getTypes().containsKey(s.getFullName())) {
          parser.parse(s.toString());
        }
      }
      case RECORD -> {
        if (!parser.getTypes().containsKey(s.getFullName())) {
          for (Schema.Field f : s.getFields()) {
            defineNamedTypes(parser, f.schema());
          }
          // the record's own JSON names the types just defined, so they are not redefined
          parser.parse(s.toString(parser.getTypes().values(), false));
        }
      }
      case UNION -> s.getTypes().forEach(t -> defineNamedTypes(parser, t));
      case ARRAY -> defineNamedTypes(parser, s.getElementType());
      case MAP -> defineNamedTypes(parser, s.getValueType());
      default -> {}
    }
  }
}
