package io.execbox.store;

import io.r2dbc.spi.Readable;
import java.time.Instant;
import java.time.OffsetDateTime;

/** Small helpers for reading rows. */
final class Rows {
  private Rows() {}

  static Instant instant(Readable row, String column) {
    OffsetDateTime t = row.get(column, OffsetDateTime.class);
    return t == null ? null : t.toInstant();
  }

  static OffsetDateTime odt(Instant t) {
    return t == null ? null : t.atOffset(java.time.ZoneOffset.UTC);
  }
}
