package io.tailwatch.schemas;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.Objects;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.message.BadHeaderException;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.message.MissingSchemaException;
import org.apache.avro.message.SchemaStore;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;

/**
 * Avro single-object encoding (2-byte marker {@code C3 01}, 8-byte little-endian CRC-64-AVRO
 * fingerprint, binary body) for one record type. Decoding resolves older writer schemas registered
 * with {@link #registerWriterSchema(Schema)} and those of the record's {@link SchemaHistory}, so a
 * producer one version behind keeps working.
 *
 * <p>Instances are thread safe (Avro's encoder/decoder keep per-thread buffers).
 */
public final class AvroSerdes<T extends SpecificRecord> {
  private final Class<T> type;
  private final Schema schema;
  private final SchemaStore.Cache writerSchemas = new SchemaStore.Cache();
  private final BinaryMessageEncoder<T> encoder;
  private final BinaryMessageDecoder<T> decoder;

  private AvroSerdes(Class<T> type) {
    AvroTrust.install();
    this.type = type;
    this.schema = SpecificData.get().getSchema(type);
    SpecificData model = SpecificData.getForClass(type);
    this.encoder = new BinaryMessageEncoder<>(model, schema);
    this.decoder = new BinaryMessageDecoder<>(model, schema, writerSchemas);
    for (Schema previous : SchemaHistory.previous(schema)) {
      registerWriterSchema(previous);
    }
  }

  public static <T extends SpecificRecord> AvroSerdes<T> forType(Class<T> type) {
    return new AvroSerdes<>(Objects.requireNonNull(type, "type"));
  }

  /** Lets records written with an older (or newer) compatible schema be decoded. */
  public AvroSerdes<T> registerWriterSchema(Schema writerSchema) {
    writerSchemas.addSchema(writerSchema);
    decoder.addSchema(writerSchema);
    return this;
  }

  public Class<T> type() {
    return type;
  }

  public Schema schema() {
    return schema;
  }

  public long fingerprint() {
    return SchemaNormalization.parsingFingerprint64(schema);
  }

  public byte[] encode(T record) {
    try {
      ByteBuffer buffer = encoder.encode(record);
      byte[] out = new byte[buffer.remaining()];
      buffer.get(out);
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot encode " + type.getSimpleName(), e);
    }
  }

  /**
   * Decodes, or throws {@link AvroDecodeException} with a reason that says what is wrong with the
   * bytes. Never throws anything else for bad input.
   */
  public T decode(byte[] bytes) throws AvroDecodeException {
    if (bytes == null || bytes.length == 0) {
      throw new AvroDecodeException(AvroDecodeException.Kind.UNDECODABLE, "empty record value");
    }
    try {
      return decoder.decode(bytes);
    } catch (MissingSchemaException e) {
      throw new AvroDecodeException(
          AvroDecodeException.Kind.UNKNOWN_SCHEMA,
          "unknown schema fingerprint for " + type.getSimpleName() + ": " + e.getMessage(),
          e);
    } catch (BadHeaderException e) {
      throw new AvroDecodeException(
          AvroDecodeException.Kind.UNDECODABLE,
          "not Avro single-object encoded (" + e.getMessage() + ")",
          e);
    } catch (IOException | RuntimeException e) {
      // Avro reports truncated or corrupt bodies as EOFException, AvroRuntimeException,
      // NegativeArraySizeException, ArrayIndexOutOfBounds... all mean the same thing to a caller.
      throw new AvroDecodeException(
          AvroDecodeException.Kind.UNDECODABLE,
          "corrupt "
              + type.getSimpleName()
              + " body: "
              + e.getClass().getSimpleName()
              + (e.getMessage() == null ? "" : ": " + e.getMessage()),
          e);
    }
  }
}
