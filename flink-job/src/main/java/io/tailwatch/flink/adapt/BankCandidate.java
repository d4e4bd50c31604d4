package io.tailwatch.flink.adapt;

import io.tailwatch.flink.inference.ScoredFrame;

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

  /** A scored frame's candidate patches (it must carry them: {@link ScoredFrame#hasCandidates}). */
  public static BankCandidate of(String scope, ScoredFrame s, double weight, double key) {
    BankCandidate c = new BankCandidate();
    c.scope = scope;
    c.frameId = s.frame.getFrameId();
    c.bankVersion = s.bankVersion;
    c.score = s.score;
    c.weight = weight;
    c.key = key;
    c.dim = s.candidateDim;
    c.count = s.candidateCount;
    c.vectors = s.candidateVectors;
    c.distances = s.candidateDistances;
    return c;
  }
}
