package io.tailwatch.flink.adapt;

import io.tailwatch.detector.scoring.Detection;

/**
 * A normal frame picked for the next bank version: its highest-scoring patch vectors and their
 * squared nearest-neighbour distances, with the reservoir key that picked it. A Flink POJO (public
 * fields, no-arg constructor) so it is checkpointed with the POJO serializer.
 */
public class BankCandidate {
  public String scope;
  public String frameId;
  public String bankVersion;
  public double score;
  public double weight;

  /** log(u) / weight: larger keys win (Efraimidis-Spirakis). */
  public double key;

  public int dim;
  public int count;
  public float[] vectors;
  public float[] distances;

  public BankCandidate() {}

  public static BankCandidate of(
      String scope,
      String frameId,
      String bankVersion,
      Detection d,
      double weight,
      double key,
      int patches) {
    Detection.TopPatches top = d.topPatches(patches);
    BankCandidate c = new BankCandidate();
    c.scope = scope;
    c.frameId = frameId;
    c.bankVersion = bankVersion;
    c.score = d.score();
    c.weight = weight;
    c.key = key;
    c.dim = top.dim();
    c.count = top.count();
    c.vectors = top.vectors();
    c.distances = top.distances2();
    return c;
  }
}
