package io.execbox.api.config;

import java.time.Instant;
import java.time.temporal.ChronoUnit;

/** Times on the wire: RFC 3339 UTC with millisecond precision. */
public final class Times {
  private Times() {}

  public static String rfc3339(Instant t) {
    return t == null ? null : t.truncatedTo(ChronoUnit.MILLIS).toString();
  }
}
