package io.tailwatch.flink.adapt;

import io.tailwatch.flink.inference.ScoredFrame;
import io.tailwatch.schemas.CameraFrame;
import org.apache.flink.api.java.functions.KeySelector;

/**
 * The key of a statistics scope (ALGORITHMS.md §6): production line x modality, or with {@code
 * perSource} (option {@code statistics.per-source}) line x modality x source, for lines whose
 * cameras or stations see differently.
 */
public final class ScopeKey implements KeySelector<ScoredFrame, String> {
  private static final long serialVersionUID = 2L;

  private final boolean perSource;

  /** Per line x modality. */
  public ScopeKey() {
    this(false);
  }

  public ScopeKey(boolean perSource) {
    this.perSource = perSource;
  }

  /**
   * "line/camera" (the same key as before per-source scopes existed, so savepoints keep their
   * state).
   */
  public static String of(CameraFrame frame) {
    return of(frame, false);
  }

  /** "line/camera", or "line/camera/source" with {@code perSource}. */
  public static String of(CameraFrame frame, boolean perSource) {
    return frame.getLineId() + "/camera" + (perSource ? "/" + frame.getSourceId() : "");
  }

  @Override
  public String getKey(ScoredFrame scored) {
    return of(scored.frame, perSource);
  }
}
