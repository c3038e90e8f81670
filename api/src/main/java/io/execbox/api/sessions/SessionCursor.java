package io.execbox.api.sessions;

import io.execbox.crds.SessionIds;
import java.nio.charset.StandardCharsets;
import java.time.DateTimeException;
import java.time.Instant;
import java.util.Base64;

/**
 * The opaque page cursor of {@code GET /v1/sessions}: the (createdAt, id) of the last row shown,
 * URL-safe base64 without padding. Opaque to clients, so its form may change; a cursor that does
 * not decode is the client's error (422), never a page from nowhere.
 */
record SessionCursor(Instant createdAt, String id) {
  /**
   * The times a session can have been created at: PostgreSQL's timestamps end in year 294276, and a
   * cursor beyond them failed in the database (503) instead of being the client's error.
   */
  private static final Instant FIRST = Instant.parse("2000-01-01T00:00:00Z");

  private static final Instant LAST = Instant.parse("9999-12-31T23:59:59Z");

  String encode() {
    String raw = createdAt.getEpochSecond() + ":" + createdAt.getNano() + ":" + id;
    return Base64.getUrlEncoder()
        .withoutPadding()
        .encodeToString(raw.getBytes(StandardCharsets.UTF_8));
  }

  /** The cursor {@code s} encodes, or null when it is not one {@link #encode} made. */
  static SessionCursor decode(String s) {
    try {
      String raw = new String(Base64.getUrlDecoder().decode(s), StandardCharsets.UTF_8);
      String[] parts = raw.split(":", 3);
      if (parts.length != 3 || !SessionIds.isValid(parts[2])) {
        return null;
      }
      long seconds = Long.parseLong(parts[0]);
      long nanos = Long.parseLong(parts[1]);
      if (seconds < FIRST.getEpochSecond()
          || seconds > LAST.getEpochSecond()
          || nanos < 0
          || nanos > 999_999_999) {
        return null;
      }
      return new SessionCursor(Instant.ofEpochSecond(seconds, nanos), parts[2]);
    } catch (IllegalArgumentException | DateTimeException e) {
      return null;
    }
  }
}
