package io.tailwatch.detector.testing;

import io.tailwatch.detector.bank.BankHeader;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** Bank headers for tests that need a bank but no real backbone. */
public final class TestBanks {
  private TestBanks() {}

  public static BankHeader header(int dim) {
    return new BankHeader(
        BankHeader.FORMAT_VERSION,
        "test",
        dim,
        0,
        null,
        new BankHeader.Backbone("b@1", "b", "00", List.of("a"), 8, dim, 3, 4, 4),
        new BankHeader.PreprocessingInfo(224, 0, new float[] {0, 0, 0}, new float[] {1, 1, 1}),
        Instant.EPOCH,
        "test",
        Map.of(),
        null);
  }
}
