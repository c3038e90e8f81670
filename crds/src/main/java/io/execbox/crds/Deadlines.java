package io.execbox.crds;

import java.time.Instant;

/** When a session must end: the one rule every module applies. */
public final class Deadlines {
  /** The installation's default when {@code EXECBOX_DEFAULT_TIMEOUT_MS} is not set. */
  public static final int DEFAULT_TIMEOUT_MS = 300_000;

  private Deadlines() {}

  /** The session's own {@code resources.timeoutMs}, or the installation's default. */
  public static int effectiveTimeoutMs(SessionSpec spec, int defaultTimeoutMs) {
    ResourceSpec r = spec == null ? null : spec.getResources();
    return r != null && r.getTimeoutMs() != null ? r.getTimeoutMs() : defaultTimeoutMs;
  }

  /** The deadline of a session created at {@code createdAt}: time spent pending counts. */
  public static Instant deadline(SessionSpec spec, int defaultTimeoutMs, Instant createdAt) {
    return createdAt.plusMillis(effectiveTimeoutMs(spec, defaultTimeoutMs));
  }
}
