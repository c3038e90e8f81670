package io.execbox.store;

import io.r2dbc.postgresql.codec.Json;
import io.r2dbc.spi.Readable;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.transaction.reactive.TransactionalOperator;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** Session rows, their machines, usage and archived output. */
public final class SessionRepository {
  private static final String COLUMNS =
      "id, account_id, status, spec::text AS spec, image, backend, idempotency_key, created_at,"
          + " deadline_at, started_at, ended_at, exit_code, reason, network::text AS network,"
          + " stop_requested_at, term_sent_at, kill_requested_at, create_attempts,"
          + " output_archived, output_dropped, reconcile_at, cpu_seconds, io_holder";
  private static final String ACTIVE = "status IN ('pending', 'running')";

  /** The columns of a row of {@code sessions s}, for queries that join it. */
  private static final String S_COLUMNS =
      java.util.Arrays.stream(COLUMNS.split(", "))
          .map(c -> "s." + c)
          .collect(java.util.stream.Collectors.joining(", "));

  /** The name of the row's machine, as {@code machine_name}, in a query of {@code sessions}. */
  private static final String MACHINE_NAME =
      "(SELECT name FROM machines WHERE session_id = sessions.id) AS machine_name";

  private static final int OUTPUT_ROW_BYTES = 1 << 20;

  private final DatabaseClient db;
  private final TransactionalOperator tx;

  SessionRepository(DatabaseClient db, TransactionalOperator tx) {
    this.db = db;
    this.tx = tx;
  }

  /**
   * Inserts a session unless the account is at its quota. Atomic: the account row is locked, so
   * concurrent creates of one account queue here and the count they see is exact.
   */
  public Mono<CreateOutcome> create(NewSession s) {
    return create(s, row -> Mono.empty());
  }

  /**
   * Like {@link #create(NewSession)}, and runs {@code alongside} (say, writing the session's custom
   * resource) inside the same transaction once the row is inserted: if it fails, the row is not
   * kept.
   */
  public Mono<CreateOutcome> create(NewSession s, Function<SessionRow, Mono<Void>> alongside) {
    Mono<CreateOutcome> work =
        db.sql("SELECT max_active_sessions FROM accounts WHERE id = $1 FOR UPDATE")
            .bind(0, s.accountId())
            .map(r -> r.get(0, Integer.class))
            .one()
            .flatMap(
                limit ->
                    existing(s)
                        .<CreateOutcome>map(CreateOutcome.Existing::new)
                        .switchIfEmpty(
                            Mono.defer(
                                () ->
                                    insertWithinQuota(s, limit)
                                        .flatMap(
                                            o ->
                                                o instanceof CreateOutcome.Created c
                                                    ? alongside.apply(c.session()).thenReturn(o)
                                                    : Mono.just(o)))))
            .switchIfEmpty(Mono.just(new CreateOutcome.NoAccount()));
    return tx.transactional(work);
  }

  /**
   * Inserts a session that already exists elsewhere (a Session resource applied with kubectl),
   * outside any quota: whoever may create the resource may run it. Returns the row, inserted now or
   * before.
   */
  public Mono<SessionRow> adopt(NewSession s) {
    return db.sql(
            "INSERT INTO sessions (id, account_id, status, spec, image, backend,"
                + " created_at, deadline_at, reconcile_at)"
                + " VALUES ($1, $2, 'pending', $3, $4, $5, $6, $7, $6)"
                + " ON CONFLICT (id) DO NOTHING RETURNING "
                + COLUMNS)
        .bind(0, s.id())
        .bind(1, s.accountId())
        .bind(2, Json.of(s.specJson()))
        .bind(3, s.image())
        .bind(4, s.backend())
        .bind(5, Rows.odt(s.createdAt()))
        .bind(6, Rows.odt(s.deadlineAt()))
        .map(SessionRepository::row)
        .one()
        .switchIfEmpty(Mono.defer(() -> findById(s.id())));
  }

  private Mono<SessionRow> existing(NewSession s) {
    if (s.idempotencyKey() == null) {
      return Mono.empty();
    }
    return db.sql(
            "SELECT " + COLUMNS + " FROM sessions WHERE account_id = $1 AND idempotency_key = $2")
        .bind(0, s.accountId())
        .bind(1, s.idempotencyKey())
        .map(SessionRepository::row)
        .one();
  }

  private Mono<CreateOutcome> insertWithinQuota(NewSession s, int limit) {
    return db.sql("SELECT count(*) FROM sessions WHERE account_id = $1 AND " + ACTIVE)
        .bind(0, s.accountId())
        .map(r -> r.get(0, Long.class))
        .one()
        .flatMap(
            active -> {
              if (active >= limit) {
                return Mono.just(new CreateOutcome.QuotaExceeded(limit));
              }
              var spec =
                  db.sql(
                          "INSERT INTO sessions (id, account_id, status, spec, image, backend,"
                              + " idempotency_key, created_at, deadline_at, reconcile_at)"
                              + " VALUES ($1, $2, 'pending', $3, $4, $5, $6, $7, $8, $7)"
                              + " RETURNING "
                              + COLUMNS)
                      .bind(0, s.id())
                      .bind(1, s.accountId())
                      .bind(2, Json.of(s.specJson()))
                      .bind(3, s.image())
                      .bind(4, s.backend());
              spec =
                  s.idempotencyKey() == null
                      ? spec.bindNull(5, String.class)
                      : spec.bind(5, s.idempotencyKey());
              return spec.bind(6, Rows.odt(s.createdAt()))
                  .bind(7, Rows.odt(s.deadlineAt()))
                  .map(SessionRepository::row)
                  .one()
                  .map(CreateOutcome.Created::new);
            });
  }

  public Mono<SessionRow> find(String accountId, String id) {
    return db.sql("SELECT " + COLUMNS + " FROM sessions WHERE account_id = $1 AND id = $2")
        .bind(0, accountId)
        .bind(1, id)
        .map(SessionRepository::row)
        .one();
  }

  /** The session and the name of its machine (null when it has none), in one round trip. */
  public Mono<SessionWithMachine> findWithMachineName(String id) {
    return db.sql("SELECT " + COLUMNS + ", " + MACHINE_NAME + " FROM sessions WHERE id = $1")
        .bind(0, id)
        .map(SessionRepository::withMachineName)
        .one();
  }

  private static SessionWithMachine withMachineName(Readable r) {
    return new SessionWithMachine(row(r), r.get("machine_name", String.class));
  }

  public Mono<SessionRow> findById(String id) {
    return db.sql("SELECT " + COLUMNS + " FROM sessions WHERE id = $1")
        .bind(0, id)
        .map(SessionRepository::row)
        .one();
  }

  /**
   * The account's sessions, newest first, after the cursor (created_at, id) when given; asks for
   * {@code limit} rows.
   */
  public Flux<SessionRow> list(
      String accountId, String status, int limit, Instant cursorCreatedAt, String cursorId) {
    StringBuilder sql =
        new StringBuilder("SELECT " + COLUMNS + " FROM sessions WHERE account_id = $1");
    int i = 2;
    if (status != null) {
      sql.append(" AND status = $").append(i++);
    }
    if (cursorCreatedAt != null) {
      sql.append(" AND (created_at, id) < ($").append(i++).append(", $").append(i++).append(")");
    }
    sql.append(" ORDER BY created_at DESC, id DESC LIMIT $").append(i);
    var spec = db.sql(sql.toString()).bind(0, accountId);
    int b = 1;
    if (status != null) {
      spec = spec.bind(b++, status);
    }
    if (cursorCreatedAt != null) {
      spec = spec.bind(b++, Rows.odt(cursorCreatedAt)).bind(b++, cursorId);
    }
    return spec.bind(b, limit).map(SessionRepository::row).all();
  }

  /**
   * Records that stop was asked: an active session becomes {@code stopped} now (its machine gets
   * SIGTERM from the reconcile loop). Returns the row after the change; empty when not found.
   */
  public Mono<SessionRow> requestStop(String accountId, String id) {
    return db.sql(
            "UPDATE sessions SET"
                + " stop_requested_at = CASE WHEN "
                + ACTIVE
                + " THEN now() ELSE stop_requested_at END,"
                + " ended_at = CASE WHEN "
                + ACTIVE
                + " THEN now() ELSE ended_at END,"
                + " reconcile_at = CASE WHEN "
                + ACTIVE
                + " THEN now() ELSE reconcile_at END,"
                + " status = CASE WHEN "
                + ACTIVE
                + " THEN 'stopped' ELSE status END"
                + " WHERE account_id = $1 AND id = $2 RETURNING "
                + COLUMNS)
        .bind(0, accountId)
        .bind(1, id)
        .map(SessionRepository::row)
        .one();
  }

  /**
   * Records that a kill was asked: an active session becomes {@code killed} now; any session's
   * machine is destroyed by the reconcile loop. Returns the row after the change.
   */
  public Mono<SessionRow> requestKill(String accountId, String id) {
    return db.sql(
            "UPDATE sessions SET"
                + " kill_requested_at = coalesce(kill_requested_at, now()),"
                + " ended_at = CASE WHEN "
                + ACTIVE
                + " THEN now() ELSE ended_at END,"
                + " reason = CASE WHEN "
                + ACTIVE
                + " THEN 'deleted' ELSE reason END,"
                + " status = CASE WHEN "
                + ACTIVE
                + " THEN 'killed' ELSE status END,"
                + " reconcile_at = now()"
                + " WHERE account_id = $1 AND id = $2 RETURNING "
                + COLUMNS)
        .bind(0, accountId)
        .bind(1, id)
        .map(SessionRepository::row)
        .one();
  }

  /** Sessions pending or running now, across accounts. */
  public Mono<Long> countActive() {
    return db.sql("SELECT count(*) FROM sessions WHERE " + ACTIVE)
        .map(r -> r.get(0, Long.class))
        .one();
  }

  /** Ids of rows whose reconcile time has come, oldest first. */
  public Flux<String> dueIds(int limit) {
    return db.sql(
            "SELECT id FROM sessions WHERE reconcile_at <= now() ORDER BY reconcile_at LIMIT $1")
        .bind(0, limit)
        .map(r -> r.get(0, String.class))
        .all();
  }

  /** The earliest reconcile time of any row, if any row has one. */
  public Mono<Instant> nextDue() {
    return db.sql("SELECT min(reconcile_at) AS t FROM sessions WHERE reconcile_at IS NOT NULL")
        .map(r -> Rows.instant(r, "t"))
        .one();
  }

  /**
   * Runs {@code work} on the row locked {@code FOR UPDATE SKIP LOCKED}, in one transaction. Empty
   * when another worker holds it or nothing is due; the work must not sleep.
   */
  public <T> Mono<T> withLocked(
      String id, java.util.function.BiFunction<SessionRow, MachineRow, Mono<T>> work) {
    return tx.transactional(
        db.sql(
                "SELECT "
                    + S_COLUMNS
                    + ", m.backend AS m_backend, m.machine_id AS m_machine_id, m.name AS m_name,"
                    + " m.created_at AS m_created_at, m.destroyed_at AS m_destroyed_at"
                    + " FROM sessions s LEFT JOIN machines m ON m.session_id = s.id"
                    + " WHERE s.id = $1 AND s.reconcile_at IS NOT NULL"
                    + " FOR UPDATE OF s SKIP LOCKED")
            .bind(0, id)
            .map(
                r ->
                    Map.entry(
                        row(r),
                        java.util.Optional.ofNullable(
                            r.get("m_machine_id", String.class) == null
                                ? null
                                : new MachineRow(
                                    r.get("id", String.class),
                                    r.get("m_backend", String.class),
                                    r.get("m_machine_id", String.class),
                                    r.get("m_name", String.class),
                                    Rows.instant(r, "m_created_at"),
                                    Rows.instant(r, "m_destroyed_at")))))
            .one()
            .flatMap(e -> work.apply(e.getKey(), e.getValue().orElse(null))));
  }

  /** Applies a patch to a row. */
  public Mono<Void> apply(String id, SessionPatch patch) {
    if (patch.isEmpty()) {
      return Mono.empty();
    }
    return update(id, patch, "").fetch().rowsUpdated().then();
  }

  /** Applies a patch to a row and returns the row as it is then, with its machine's name. */
  public Mono<SessionWithMachine> applyAndRead(String id, SessionPatch patch) {
    if (patch.isEmpty()) {
      return findWithMachineName(id);
    }
    return update(id, patch, " RETURNING " + COLUMNS + ", " + MACHINE_NAME)
        .map(SessionRepository::withMachineName)
        .one();
  }

  private DatabaseClient.GenericExecuteSpec update(String id, SessionPatch patch, String tail) {
    StringBuilder sql = new StringBuilder("UPDATE sessions SET ");
    int i = 1;
    for (String column : patch.columns().keySet()) {
      if (i > 1) {
        sql.append(", ");
      }
      sql.append(column).append(" = $").append(i++);
    }
    sql.append(" WHERE id = $").append(i).append(tail);
    var spec = db.sql(sql.toString());
    int b = 0;
    for (Map.Entry<String, SessionPatch.Value> e : patch.columns().entrySet()) {
      SessionPatch.Value v = e.getValue();
      spec = v.value() == null ? spec.bindNull(b++, v.type()) : spec.bind(b++, v.value());
    }
    return spec.bind(b, id);
  }

  /** Wakes the reconcile loop for a row now (through the NOTIFY trigger). */
  public Mono<Void> wake(String id) {
    return db.sql(
            "UPDATE sessions SET reconcile_at = now() WHERE id = $1 AND reconcile_at IS NOT NULL")
        .bind(0, id)
        .fetch()
        .rowsUpdated()
        .then();
  }

  public Mono<Void> saveMachine(MachineRow m) {
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

  public Mono<MachineRow> machine(String sessionId) {
    return db.sql(
            "SELECT session_id, backend, machine_id, name, created_at, destroyed_at"
                + " FROM machines WHERE session_id = $1")
        .bind(0, sessionId)
        .map(
            r ->
                new MachineRow(
                    r.get("session_id", String.class),
                    r.get("backend", String.class),
                    r.get("machine_id", String.class),
                    r.get("name", String.class),
                    Rows.instant(r, "created_at"),
                    Rows.instant(r, "destroyed_at")))
        .one();
  }

  public Mono<Void> markMachineDestroyed(String sessionId) {
    return db.sql(
            "UPDATE machines SET destroyed_at = coalesce(destroyed_at, now()) WHERE session_id = $1")
        .bind(0, sessionId)
        .fetch()
        .rowsUpdated()
        .then();
  }

  /** Records a finished session's usage once; later calls change nothing. */
  public Mono<Void> recordUsage(
      String sessionId, String accountId, double wallSeconds, Double cpuSeconds, Instant endedAt) {
    var spec =
        db.sql(
                "INSERT INTO usage_metrics (session_id, account_id, wall_seconds, cpu_seconds,"
                    + " ended_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (session_id) DO NOTHING")
            .bind(0, sessionId)
            .bind(1, accountId)
            .bind(2, wallSeconds);
    spec = cpuSeconds == null ? spec.bindNull(3, Double.class) : spec.bind(3, cpuSeconds);
    return spec.bind(4, Rows.odt(endedAt)).fetch().rowsUpdated().then();
  }

  /** The account's sessions since {@code dayStart}, its active sessions and seconds used. */
  public Mono<UsageSummary> usage(String accountId, Instant dayStart) {
    return db.sql(
            "SELECT"
                + " (SELECT count(*) FROM sessions WHERE account_id = $1 AND created_at >= $2) AS today,"
                + " (SELECT count(*) FROM sessions WHERE account_id = $1 AND "
                + ACTIVE
                + ") AS active,"
                + " (SELECT coalesce(sum(wall_seconds), 0) FROM usage_metrics"
                + "   WHERE account_id = $1 AND ended_at >= $2) AS wall,"
                + " (SELECT coalesce(sum(cpu_seconds), 0) FROM usage_metrics"
                + "   WHERE account_id = $1 AND ended_at >= $2) AS cpu")
        .bind(0, accountId)
        .bind(1, Rows.odt(dayStart))
        .map(
            r ->
                new UsageSummary(
                    r.get("today", Long.class),
                    r.get("active", Long.class),
                    r.get("wall", Double.class),
                    r.get("cpu", Double.class)))
        .one();
  }

  /** Stores a finished session's retained output, replacing any earlier copy. */
  public Mono<Void> saveOutput(String sessionId, List<OutputChunk> chunks, long dropped) {
    Flux<Long> rows =
        Flux.fromIterable(split(chunks))
            .index()
            .concatMap(
                t ->
                    db.sql(
                            "INSERT INTO session_output (session_id, seq, stream, data)"
                                + " VALUES ($1, $2, $3, $4)")
                        .bind(0, sessionId)
                        .bind(1, t.getT1().intValue())
                        .bind(2, (short) t.getT2().stream())
                        .bind(3, java.nio.ByteBuffer.wrap(t.getT2().data()))
                        .fetch()
                        .rowsUpdated());
    Mono<Void> work =
        db.sql("DELETE FROM session_output WHERE session_id = $1")
            .bind(0, sessionId)
            .fetch()
            .rowsUpdated()
            .thenMany(rows)
            .then(apply(sessionId, SessionPatch.create().outputArchived(true, dropped)));
    return tx.transactional(work);
  }

  /** A finished session's archived output, in order. */
  public Flux<OutputChunk> loadOutput(String sessionId) {
    return db.sql("SELECT stream, data FROM session_output WHERE session_id = $1 ORDER BY seq")
        .bind(0, sessionId)
        .map(
            r -> {
              java.nio.ByteBuffer buf = r.get("data", java.nio.ByteBuffer.class);
              byte[] b = new byte[buf.remaining()];
              buf.get(b);
              return new OutputChunk(r.get("stream", Short.class), b);
            })
        .all();
  }

  /** Ids of the given sessions that exist and still need their machine (for the orphan sweep). */
  public Flux<String> liveMachineSessions(List<String> sessionIds) {
    if (sessionIds.isEmpty()) {
      return Flux.empty();
    }
    return db.sql(
            "SELECT id FROM sessions WHERE id = ANY($1)"
                + " AND (status IN ('pending', 'running') OR reconcile_at IS NOT NULL)")
        .bind(0, sessionIds.toArray(new String[0]))
        .map(r -> r.get(0, String.class))
        .all();
  }

  /** Joins small chunks of one stream and splits big ones, so rows stay near 1 MiB. */
  private static List<OutputChunk> split(List<OutputChunk> chunks) {
    List<OutputChunk> out = new java.util.ArrayList<>();
    java.io.ByteArrayOutputStream cur = new java.io.ByteArrayOutputStream();
    int curStream = 0;
    for (OutputChunk c : chunks) {
      if (c.stream() != curStream || cur.size() + c.data().length > OUTPUT_ROW_BYTES) {
        if (cur.size() > 0) {
          out.add(new OutputChunk(curStream, cur.toByteArray()));
          cur.reset();
        }
        curStream = c.stream();
      }
      int off = 0;
      while (c.data().length - off > OUTPUT_ROW_BYTES) {
        out.add(
            new OutputChunk(
                c.stream(), java.util.Arrays.copyOfRange(c.data(), off, off + OUTPUT_ROW_BYTES)));
        off += OUTPUT_ROW_BYTES;
      }
      cur.write(c.data(), off, c.data().length - off);
    }
    if (cur.size() > 0) {
      out.add(new OutputChunk(curStream, cur.toByteArray()));
    }
    return out;
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
        r.get("io_holder", String.class));
  }
}
