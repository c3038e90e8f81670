package io.execbox.store;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A set of column changes to one session row: what a pure decision (the lifecycle, or a client
 * request's transition) said, for the repository to write.
 */
public final class SessionPatch {
  record Value(Object value, Class<?> type) {}

  private final Map<String, Value> columns = new LinkedHashMap<>();

  public static SessionPatch create() {
    return new SessionPatch();
  }

  /** A client's request to a session. */
  public enum Request {
    STOP,
    KILL
  }

  /**
   * What a client's stop or delete writes, once its transition was decided: the request's time (a
   * kill keeps the first), and when it ends the session, the phase after, the end time and the
   * reason, with a reconcile at once so the machine follows. A kill always brings a reconcile (its
   * machine is destroyed); a stop that ends nothing writes nothing.
   */
  public static SessionPatch requested(
      SessionRow row,
      Request request,
      String phaseAfter,
      boolean endsNow,
      String reason,
      Instant now) {
    SessionPatch p = create();
    if (endsNow) {
      p.status(phaseAfter).endedAt(now).reconcileAt(now);
      if (reason != null) {
        p.reason(reason);
      }
      if (request == Request.STOP) {
        p.stopRequestedAt(now);
      }
    }
    if (request == Request.KILL) {
      p.reconcileAt(now);
      if (row.killRequestedAt() == null) {
        p.killRequestedAt(now);
      }
    }
    return p;
  }

  private SessionPatch set(String column, Object value, Class<?> type) {
    columns.put(column, new Value(value, type));
    return this;
  }

  public SessionPatch status(String status) {
    return set("status", status, String.class);
  }

  public SessionPatch startedAt(Instant t) {
    return set("started_at", Rows.odt(t), java.time.OffsetDateTime.class);
  }

  public SessionPatch endedAt(Instant t) {
    return set("ended_at", Rows.odt(t), java.time.OffsetDateTime.class);
  }

  public SessionPatch exitCode(Integer code) {
    return set("exit_code", code, Integer.class);
  }

  public SessionPatch reason(String reason) {
    return set("reason", reason, String.class);
  }

  public SessionPatch networkJson(String json) {
    return set(
        "network",
        json == null ? null : io.r2dbc.postgresql.codec.Json.of(json),
        io.r2dbc.postgresql.codec.Json.class);
  }

  public SessionPatch stopRequestedAt(Instant t) {
    return set("stop_requested_at", Rows.odt(t), java.time.OffsetDateTime.class);
  }

  public SessionPatch killRequestedAt(Instant t) {
    return set("kill_requested_at", Rows.odt(t), java.time.OffsetDateTime.class);
  }

  public SessionPatch termSentAt(Instant t) {
    return set("term_sent_at", Rows.odt(t), java.time.OffsetDateTime.class);
  }

  /** The address (host:port) of the process holding the session's stdio. */
  public SessionPatch ioHolder(String address) {
    return set("io_holder", address, String.class);
  }

  public SessionPatch cpuSeconds(Double seconds) {
    return set("cpu_seconds", seconds, Double.class);
  }

  public SessionPatch createAttempts(int n) {
    return set("create_attempts", n, Integer.class);
  }

  public SessionPatch outputArchived(boolean archived, long dropped) {
    set("output_dropped", dropped, Long.class);
    return set("output_archived", archived, Boolean.class);
  }

  /** When the loop must look again; null when nothing is left to do. */
  public SessionPatch reconcileAt(Instant t) {
    return set("reconcile_at", Rows.odt(t), java.time.OffsetDateTime.class);
  }

  public boolean isEmpty() {
    return columns.isEmpty();
  }

  Map<String, Value> columns() {
    return columns;
  }

  public boolean changes(String column) {
    return columns.containsKey(column);
  }

  /** What the patch writes to {@code column} (times as UTC offsets), or null. */
  public Object valueOf(String column) {
    Value v = columns.get(column);
    return v == null ? null : v.value();
  }

  @Override
  public String toString() {
    return columns.keySet().toString();
  }
}
