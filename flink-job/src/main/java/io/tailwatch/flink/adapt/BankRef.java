package io.tailwatch.flink.adapt;

import io.tailwatch.schemas.BankUpdate;

/** The bank an operator uses, as kept in its state (a Flink POJO). */
public class BankRef {
  public String version;
  public String uri;
  public String sha256;
  public long createdAt;

  public BankRef() {}

  public static BankRef of(BankUpdate u) {
    BankRef r = new BankRef();
    r.version = u.getBankVersion();
    r.uri = u.getBankUri();
    r.sha256 = u.getSha256();
    r.createdAt = u.getCreatedAt().toEpochMilli();
    return r;
  }

  @Override
  public String toString() {
    return version + " (" + uri + ")";
  }
}
