package io.tailwatch.flink.inference;

import io.tailwatch.detector.scoring.Detection;
import io.tailwatch.schemas.CameraFrame;

/**
 * What the inference stage hands to the decision stage for one frame: the frame's metadata, its
 * score and anomaly map, the versions that scored it, and (with bank updates) its candidate patch
 * vectors. The decision stage adds the threshold and calibrated score it judged by; the rendering
 * stage turns an alerted one into an {@code Alert}. A Flink POJO (public fields, no-arg
 * constructor); the frame uses Flink's Avro serializer.
 *
 * <p>The frame's pixels travel only when the renderer needs them (the overlay heatmap format): a
 * scored frame is otherwise a few KiB whatever the camera, since it crosses the network to its
 * line's decision subtask.
 */
public class ScoredFrame {
  /** The frame as ingested, with its payload emptied unless the renderer draws over the pixels. */
  public CameraFrame frame;

  /** Where the frame came from (for a late dead letter) and when the source read it. */
  public String topic;

  public int partition;
  public long offset;
  public long ingestTime;

  /** The decoded frame's size in pixels (regions and full-resolution maps are in these). */
  public int frameWidth;

  public int frameHeight;

  public double score;

  /** The smoothed anomaly map, {@code mapSize x mapSize}, in the network input geometry. */
  public float[] map;

  public int mapSize;

  public String modelVersion;
  public String bankVersion;

  /** The bank's calibrated (fixed) threshold and calibrated score, from the bank that scored it. */
  public double bankThreshold;

  public double bankCalibrated;

  /** Bank-update candidates: the frame's highest-scoring patch vectors (count x dim), or null. */
  public float[] candidateVectors;

  public float[] candidateDistances;
  public int candidateDim;
  public int candidateCount;

  /** Set by the decision stage: the threshold in force for the frame's scope, and when. */
  public double threshold;

  public double calibrated;
  public long decidedAt;

  public ScoredFrame() {}

  /**
   * A detection as the inference stage emits it.
   *
   * @param candidatePatches how many top patch vectors to carry for bank updates (0 = none)
   * @param keepPixels whether the frame keeps its payload (the renderer draws over it)
   */
  public static ScoredFrame of(
      io.tailwatch.flink.ingest.Ingested in,
      int frameWidth,
      int frameHeight,
      Detection d,
      FrameDetector detector,
      int candidatePatches,
      boolean keepPixels) {
    ScoredFrame s = new ScoredFrame();
    s.frame =
        keepPixels
            ? in.frame
            : CameraFrame.newBuilder(in.frame).setPayload(java.nio.ByteBuffer.allocate(0)).build();
    s.topic = in.topic;
    s.partition = in.partition;
    s.offset = in.offset;
    s.ingestTime = in.ingestTime;
    s.frameWidth = frameWidth;
    s.frameHeight = frameHeight;
    s.score = d.score();
    s.map = d.map();
    s.mapSize = d.mapSize();
    s.modelVersion = detector.modelVersion();
    s.bankVersion = detector.bankVersion();
    s.bankThreshold = detector.threshold();
    s.bankCalibrated = detector.calibrated(d.score());
    if (candidatePatches > 0 && d.features() != null) {
      Detection.TopPatches top = d.topPatches(candidatePatches);
      s.candidateVectors = top.vectors();
      s.candidateDistances = top.distances2();
      s.candidateDim = top.dim();
      s.candidateCount = top.count();
    }
    return s;
  }

  public boolean hasCandidates() {
    return candidateVectors != null;
  }

  /**
   * The map level that corresponds to an image-score threshold ({@link Detection#mapLevel}): the
   * smoothed map peaks below the image score, so it is rescaled to peak at the score.
   */
  public double mapLevel(double imageThreshold) {
    return Detection.mapLevel(map, score, imageThreshold);
  }

  @Override
  public String toString() {
    return "Scored(" + frame.getLineId() + "/" + frame.getFrameId() + " " + score + ")";
  }
}
