package io.execbox.store;

import org.springframework.r2dbc.core.DatabaseClient;
import reactor.core.publisher.Mono;

/** The {@code machines} table: which machine a session has, and whether it was destroyed. */
public final class MachineRepository {
  private final DatabaseClient db;

  MachineRepository(DatabaseClient db) {
    this.db = db;
  }

  /** Records the session's machine (a new one replaces the old record, not yet destroyed). */
  public Mono<Void> save(MachineRow m) {
    return db.sql(
            "INSERT INTO machines (session_id, backend, machine_id, name) VALUES ($1, $2, $3, $4)"
                + " ON CONFLICT (session_id) DO UPDATE SET machine_id = EXCLUDED.machine_id,"
                + " destroyed_at = NULL")
        .bind(0, m.sessionId())
        .bind(1, m.backend())
        .bind(2, m.machineId())
        .bind(3, m.name())
        .fetch()
        .rowsUpdated()
        .then();
  }

  /** Records that the session's machine is gone; the first time counts. */
  public Mono<Void> markDestroyed(String sessionId) {
    return db.sql(
            "UPDATE machines SET destroyed_at = coalesce(destroyed_at, now()) WHERE session_id = $1")
        .bind(0, sessionId)
        .fetch()
        .rowsUpdated()
        .then();
  }
}
