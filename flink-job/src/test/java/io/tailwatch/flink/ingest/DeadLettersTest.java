package io.tailwatch.flink.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tailwatch.flink.sink.DeadLetterCap;
import io.tailwatch.schemas.AvroSerdes;
import io.tailwatch.schemas.DeadLetter;
import io.tailwatch.schemas.DeadLetterReason;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;

class DeadLettersTest {
  private static DeadLetter letter(byte[] raw, byte[] key) {
    return DeadLetters.of("frames", 3, 42, key, DeadLetterReason.UNDECODABLE, "bad", raw, 1_000);
  }

  /**
   * A 5 MB record that failed becomes a dead letter of 64 KiB: its head, with the whole value's
   * size and sha256, so it fits the producer's 1 MB request and can still be matched to the record.
   */
  @Test
  void aLargeRecordIsCutToTheCapWithItsSizeAndChecksum() throws Exception {
    byte[] raw = new byte[5 * 1024 * 1024];
    new Random(1).nextBytes(raw);
    DeadLetter capped = new DeadLetterCap(64 * 1024).map(letter(raw, "k".getBytes()));
    assertThat(capped.getRawValue().remaining()).isEqualTo(64 * 1024);
    assertThat(capped.getRawTruncated()).isTrue();
    assertThat(capped.getRawSize()).isEqualTo(raw.length);
    assertThat(capped.getRawSha256())
        .isEqualTo(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(raw)));
    byte[] head = new byte[64 * 1024];
    capped.getRawValue().duplicate().get(head);
    assertThat(head).isEqualTo(java.util.Arrays.copyOf(raw, head.length));
    assertThat(capped.getOriginOffset()).isEqualTo(42);
    assertThat(AvroSerdes.forType(DeadLetter.class).encode(capped).length)
        .as("the encoded letter")
        .isLessThan(70 * 1024);
  }

  @Test
  void aSmallRecordIsKeptWholeAndAHugeKeyIsCut() {
    byte[] raw = {1, 2, 3};
    DeadLetter d = letter(raw, new byte[100_000]);
    assertThat(DeadLetters.capped(d, 64 * 1024)).isSameAs(d);
    assertThat(d.getRawTruncated()).isFalse();
    assertThat(d.getRawSize()).isEqualTo(3);
    assertThat(d.getRawValue()).isEqualTo(ByteBuffer.wrap(raw));
    assertThat(d.getKey().remaining()).isEqualTo(DeadLetters.MAX_KEY_BYTES);
    DeadLetter none = letter(null, null);
    assertThat(none.getRawSize()).isEqualTo(-1);
    assertThat(none.getRawSha256()).isNull();
    assertThat(DeadLetters.capped(none, 0)).isSameAs(none);
    assertThatThrownBy(() -> new DeadLetterCap(-1))
        .hasMessageContaining("dead-letters.max-payload-bytes must not be negative, was -1");
  }
}
