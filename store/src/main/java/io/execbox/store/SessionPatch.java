package io.execbox.store;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/** A set of column changes to one session row, built by the reconcile loop. */
public final class SessionPatch {
  record Value(Object value, Class<?> type) {}

  private final Map<String, Value> columns = new LinkedHashMap<>();

  public static SessionPatch create() {
    return new SessionPatch();
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

  @Override
  public String toString() {
    return columns.keySet().toString();
  }
}
