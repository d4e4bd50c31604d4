package io.tailwatch.flink.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tailwatch.flink.testing.TestSchemeFileSystemFactory;
import io.tailwatch.schemas.DeadLetterReason;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClaimChecksTest {
  @TempDir Path dir;

  static byte[] bytes(int n) {
    byte[] b = new byte[n];
    new Random(n).nextBytes(b);
    return b;
  }

  static void assertRejected(ThrowingCallable call, DeadLetterReason reason, String... parts) {
    assertThatThrownBy(call)
        .isInstanceOfSatisfying(
            FrameRejectedException.class, e -> assertThat(e.reason()).isEqualTo(reason))
        .message()
        .contains(parts);
  }

  @Test
  void writtenObjectsReadBackWithTheirDigestChecked() throws Exception {
    Path root = Files.createDirectories(dir.resolve("claims"));
    byte[] payload = bytes(100_000);
    ClaimCheckWriter.Written w = new ClaimCheckWriter(root.toString()).write("f-1.png", payload);
    assertThat(w.sha256()).isEqualTo(ClaimChecks.sha256Hex(payload)).hasSize(64);
    assertThat(w.bytes()).isEqualTo(payload.length);
    // no temporary file is left beside it
    try (var files = Files.list(root)) {
      assertThat(files.map(p -> p.getFileName().toString())).containsExactly("f-1.png");
    }

    ClaimChecks checks = new ClaimChecks(root.toString(), true);
    ClaimChecks.Reference ref = checks.resolve(w.uri(), w.sha256().toUpperCase());
    assertThat(checks.size(ref)).isEqualTo(payload.length);
    assertThat(checks.read(ref, payload.length)).isEqualTo(payload);

    // one byte changed after the record was made
    payload[777] ^= 1;
    Files.write(root.resolve("f-1.png"), payload);
    assertRejected(
        () -> checks.read(checks.resolve(w.uri(), w.sha256()), 1 << 20),
        DeadLetterReason.CLAIM_CHECK_UNREADABLE,
        "the object's sha256 is " + ClaimChecks.sha256Hex(payload),
        "payloadSha256 says " + w.sha256());
    // grown past the limit while nobody looked: refused without reading it all
    assertRejected(
        () -> checks.read(checks.resolve(w.uri(), w.sha256()), 1000),
        DeadLetterReason.PAYLOAD_TOO_LARGE,
        "more than limits.max-payload-bytes = 1000");
  }

  @Test
  void theDigestIsRequiredAndWellFormedUnlessTurnedOff() throws Exception {
    Path root = Files.createDirectories(dir.resolve("claims"));
    ClaimCheckWriter.Written w = new ClaimCheckWriter(root.toString()).write("a.raw", bytes(10));
    ClaimChecks strict = new ClaimChecks(root.toString(), true);
    assertRejected(
        () -> strict.resolve(w.uri(), null),
        DeadLetterReason.INVALID_FIELD,
        "payloadSha256 must be set",
        "claim-check.require-sha256");
    assertRejected(
        () -> strict.resolve(w.uri(), "abc"),
        DeadLetterReason.INVALID_FIELD,
        "payloadSha256 must be 64 hex digits, was 'abc'");
    ClaimChecks lenient = new ClaimChecks(root.toString(), false);
    assertThat(lenient.read(lenient.resolve(w.uri(), null), 10)).hasSize(10);
    // a digest that is present is checked even then
    assertRejected(
        () -> lenient.read(lenient.resolve(w.uri(), "0".repeat(64)), 10),
        DeadLetterReason.CLAIM_CHECK_UNREADABLE,
        "payloadSha256 says " + "0".repeat(64));
  }

  @Test
  void otherSchemesGoThroughFlinksFileSystemPlugins() throws Exception {
    Path local = Files.createDirectories(dir.resolve("bucket-root"));
    String root = TestSchemeFileSystemFactory.uri("bucket-a", local);
    byte[] payload = bytes(5000);
    ClaimCheckWriter.Written w = new ClaimCheckWriter(root).write("cube-7.raw", payload);
    assertThat(w.uri()).startsWith("tailwatch-test://bucket-a/");
    assertThat(Files.readAllBytes(local.resolve("cube-7.raw"))).isEqualTo(payload);

    ClaimChecks checks = new ClaimChecks(root, true);
    ClaimChecks.Reference ref = checks.resolve(w.uri(), w.sha256());
    assertThat(checks.size(ref)).isEqualTo(5000);
    assertThat(checks.read(ref, 5000)).isEqualTo(payload);

    // same path, other bucket or scheme: outside the root
    String otherBucket = w.uri().replace("bucket-a", "bucket-b");
    assertRejected(
        () -> checks.resolve(otherBucket, w.sha256()),
        DeadLetterReason.CLAIM_CHECK_UNREADABLE,
        "outside claim-check.root");
    assertRejected(
        () -> checks.resolve(local.resolve("cube-7.raw").toUri().toString(), w.sha256()),
        DeadLetterReason.CLAIM_CHECK_UNREADABLE,
        "scheme must be tailwatch-test:");
    assertRejected(
        () -> checks.size(checks.resolve(root + "gone.raw", w.sha256())),
        DeadLetterReason.CLAIM_CHECK_UNREADABLE,
        "gone.raw cannot be read");
    // a scheme no plugin serves is reported per record, naming the reference
    ClaimChecks unknown = new ClaimChecks("no-such-scheme://b/frames", true);
    assertRejected(
        () -> unknown.size(unknown.resolve("no-such-scheme://b/frames/x.png", w.sha256())),
        DeadLetterReason.CLAIM_CHECK_UNREADABLE,
        "no-such-scheme://b/frames/x.png cannot be read");
  }

  @Test
  void rootsAreNormalisedUris() {
    assertThat(ClaimChecks.rootUri("/data/frames").toString()).isEqualTo("file:/data/frames/");
    assertThat(ClaimChecks.rootUri("/data/./frames/../frames/").toString())
        .isEqualTo("file:/data/frames/");
    assertThat(ClaimChecks.rootUri("s3://bucket/frames").toString())
        .isEqualTo("s3://bucket/frames/");
    assertThat(ClaimChecks.rootUri("s3://bucket").toString()).isEqualTo("s3://bucket/");
  }

  @Test
  void writerNamesStayInTheirFolder() {
    ClaimCheckWriter w = new ClaimCheckWriter(dir.toString());
    for (String bad : new String[] {"", "../x", "a/b", ".hidden"}) {
      assertThatThrownBy(() -> w.write(bad, new byte[1]))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("one path segment");
    }
  }
}
