package io.execbox.store;

import io.r2dbc.spi.Readable;
import java.util.Arrays;
import java.util.stream.Collectors;

/** The columns of a session row and how a row is read, for every query that returns one. */
final class SessionRows {
  static final String COLUMNS =
      "id, account_id, status, spec::text AS spec, image, backend, idempotency_key, created_at,"
          + " deadline_at, started_at, ended_at, exit_code, reason, network::text AS network,"
          + " stop_requested_at, term_sent_at, kill_requested_at, create_attempts,"
          + " output_archived, output_dropped, reconcile_at, cpu_seconds, io_holder,"
          + " resource_namespace, resource_name";

  /** A session that still runs or may run. */
  static final String ACTIVE = "status IN ('pending', 'running')";

  /** The columns of a row of {@code sessions s}, for queries that join it. */
  static final String S_COLUMNS =
      Arrays.stream(COLUMNS.split(", ")).map(c -> "s." + c).collect(Collectors.joining(", "));

  /** The name of the row's machine, as {@code machine_name}, in a query of {@code sessions}. */
  static final String MACHINE_NAME =
      "(SELECT name FROM machines WHERE session_id = sessions.id) AS machine_name";

  private SessionRows() {}

  static SessionWithMachine withMachineName(Readable r) {
    return new SessionWithMachine(row(r), r.get("machine_name", String.class));
  }

  /** The machine columns of a query that joins {@code machines m} as {@code m_…}, or null. */
  static MachineRow joinedMachine(Readable r) {
    if (r.get("m_machine_id", String.class) == null) {
      return null;
    }
    return new MachineRow(
        r.get("id", String.class),
        r.get("m_backend", String.class),
        r.get("m_machine_id", String.class),
        r.get("m_name", String.class),
        Rows.instant(r, "m_created_at"),
        Rows.instant(r, "m_destroyed_at"));
  }

  static SessionRow row(Readable r) {
    return new SessionRow(
        r.get("id", String.class),
        r.get("account_id", String.class),
        r.get("status", String.class),
        r.get("spec", String.class),
        r.get("image", String.class),
        r.get("backend", String.class),
        r.get("idempotency_key", String.class),
        Rows.instant(r, "created_at"),
        Rows.instant(r, "deadline_at"),
        Rows.instant(r, "started_at"),
        Rows.instant(r, "ended_at"),
        r.get("exit_code", Integer.class),
        r.get("reason", String.class),
        r.get("network", String.class),
        Rows.instant(r, "stop_requested_at"),
        Rows.instant(r, "term_sent_at"),
        Rows.instant(r, "kill_requested_at"),
        r.get("create_attempts", Integer.class),
        Boolean.TRUE.equals(r.get("output_archived", Boolean.class)),
        r.get("output_dropped", Long.class),
        Rows.instant(r, "reconcile_at"),
        r.get("cpu_seconds", Double.class),
        r.get("io_holder", String.class),
        r.get("resource_namespace", String.class),
        r.get("resource_name", String.class));
  }
}
