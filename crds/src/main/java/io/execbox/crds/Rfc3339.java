package io.execbox.crds;

import java.time.Instant;
import java.time.temporal.ChronoUnit;

/** Times on the wire and in the status: RFC 3339 in UTC, at most millisecond precision. */
public final class Rfc3339 {
  private Rfc3339() {}

  /** {@code t} as RFC 3339 UTC with its sub-millisecond digits cut; null for null. */
  public static String format(Instant t) {
    return t == null ? null : t.truncatedTo(ChronoUnit.MILLIS).toString();
  }
}
