package io.tailwatch.flink.ingest;

import io.tailwatch.schemas.CameraFrame;
import io.tailwatch.schemas.DeadLetter;
import io.tailwatch.schemas.HyperspectralCube;

/**
 * What a Kafka source emits for each record: a valid frame (or, on the cube chain, a valid cube)
 * with where it came from, or the dead letter that replaces it. A Flink POJO (public fields, no-arg
 * constructor); the Avro fields use Flink's Avro serializer.
 */
public class Ingested {
  public CameraFrame frame;
  public HyperspectralCube cube;
  public DeadLetter deadLetter;
  public String topic;
  public int partition;
  public long offset;

  /** The Kafka record key, kept for a dead letter written later (decode or inference failure). */
  public byte[] key;

  /** When the source read the record (processing time, ms). */
  public long ingestTime;

  public Ingested() {}

  public static Ingested frame(
      CameraFrame frame, String topic, int partition, long offset, byte[] key, long ingestTime) {
    Ingested in = new Ingested();
    in.key = key;
    in.frame = frame;
    in.topic = topic;
    in.partition = partition;
    in.offset = offset;
    in.ingestTime = ingestTime;
    return in;
  }

  public static Ingested cube(
      HyperspectralCube cube,
      String topic,
      int partition,
      long offset,
      byte[] key,
      long ingestTime) {
    Ingested in = new Ingested();
    in.key = key;
    in.cube = cube;
    in.topic = topic;
    in.partition = partition;
    in.offset = offset;
    in.ingestTime = ingestTime;
    return in;
  }

  public static Ingested deadLetter(DeadLetter deadLetter) {
    Ingested in = new Ingested();
    in.deadLetter = deadLetter;
    in.topic = deadLetter.getOriginTopic();
    in.partition = deadLetter.getOriginPartition();
    in.offset = deadLetter.getOriginOffset();
    in.ingestTime = deadLetter.getFailedAt().toEpochMilli();
    return in;
  }

  public boolean isDeadLetter() {
    return deadLetter != null;
  }

  @Override
  public String toString() {
    return isDeadLetter()
        ? "DeadLetter("
            + deadLetter.getReasonCode()
            + " "
            + topic
            + "/"
            + partition
            + "@"
            + offset
            + ")"
        : cube != null
            ? "Cube(" + cube.getCubeId() + " " + topic + "/" + partition + "@" + offset + ")"
            : "Frame(" + frame.getFrameId() + " " + topic + "/" + partition + "@" + offset + ")";
  }
}
