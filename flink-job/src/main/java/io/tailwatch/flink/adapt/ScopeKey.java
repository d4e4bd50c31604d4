package io.tailwatch.flink.adapt;

import io.tailwatch.flink.ingest.Ingested;
import io.tailwatch.schemas.CameraFrame;
import org.apache.flink.api.java.functions.KeySelector;

/** The key of a statistics scope: production line x modality (ALGORITHMS.md §6). */
public final class ScopeKey implements KeySelector<Ingested, String> {
  private static final long serialVersionUID = 1L;

  public static String of(CameraFrame frame) {
    return frame.getLineId() + "/camera";
  }

  @Override
  public String getKey(Ingested in) {
    return in.frame == null ? "/undecoded" : of(in.frame);
  }
}
