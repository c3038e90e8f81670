package io.execbox.store;

import static io.execbox.store.SessionRows.ACTIVE;
import static io.execbox.store.SessionRows.COLUMNS;
import static io.execbox.store.SessionRows.MACHINE_NAME;
import static io.execbox.store.SessionRows.S_COLUMNS;

import io.r2dbc.postgresql.codec.Json;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.transaction.reactive.TransactionalOperator;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The {@code sessions} table. It writes what the pure decisions of the lifecycle and of a client's
 * requests said (a {@link SessionPatch}); the only rule it enforces itself is the account's quota,
 * which must hold atomically under concurrent creates.
 */
public final class SessionRepository {
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
   * outside any quota: whoever may create the resource may run it. The resource's namespace and
   * name are kept on the row, so that the api can reach it whatever it is named. Returns the row,
   * inserted now or before.
   */
  public Mono<SessionRow> adopt(NewSession s, String resourceNamespace, String resourceName) {
    return insert(s, resourceNamespace, resourceName, " ON CONFLICT (id) DO NOTHING")
        .switchIfEmpty(Mono.defer(() -> findById(s.id())));
  }

  /**
   * Inserts a pending session, due for its first reconcile at once; {@code tail} before RETURNING.
   */
  private Mono<SessionRow> insert(
      NewSession s, String resourceNamespace, String resourceName, String tail) {
    var spec =
        db.sql(
                "INSERT INTO sessions (id, account_id, status, spec, image, backend,"
                    + " idempotency_key, created_at, deadline_at, reconcile_at,"
                    + " resource_namespace, resource_name)"
                    + " VALUES ($1, $2, 'pending', $3, $4, $5, $6, $7, $8, $7, $9, $10)"
                    + tail
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
    spec = spec.bind(6, Rows.odt(s.createdAt())).bind(7, Rows.odt(s.deadlineAt()));
    spec =
        resourceNamespace == null
            ? spec.bindNull(8, String.class)
            : spec.bind(8, resourceNamespace);
    spec = resourceName == null ? spec.bindNull(9, String.class) : spec.bind(9, resourceName);
    return spec.map(SessionRows::row).one();
  }

  private Mono<SessionRow> existing(NewSession s) {
    if (s.idempotencyKey() == null) {
      return Mono.empty();
    }
    return db.sql(
            "SELECT " + COLUMNS + " FROM sessions WHERE account_id = $1 AND idempotency_key = $2")
        .bind(0, s.accountId())
        .bind(1, s.idempotencyKey())
        .map(SessionRows::row)
        .one();
  }

  private Mono<CreateOutcome> insertWithinQuota(NewSession s, int limit) {
    return db.sql("SELECT count(*) FROM sessions WHERE account_id = $1 AND " + ACTIVE)
        .bind(0, s.accountId())
        .map(r -> r.get(0, Long.class))
        .one()
        .flatMap(
            active ->
                active >= limit
                    ? Mono.just(new CreateOutcome.QuotaExceeded(limit))
                    : insert(s, null, null, "").map(CreateOutcome.Created::new));
  }

  public Mono<SessionRow> find(String accountId, String id) {
    return db.sql("SELECT " + COLUMNS + " FROM sessions WHERE account_id = $1 AND id = $2")
        .bind(0, accountId)
        .bind(1, id)
        .map(SessionRows::row)
        .one();
  }

  /** The session and the name of its machine (null when it has none), in one round trip. */
  public Mono<SessionWithMachine> findWithMachineName(String id) {
    return db.sql("SELECT " + COLUMNS + ", " + MACHINE_NAME + " FROM sessions WHERE id = $1")
        .bind(0, id)
        .map(SessionRows::withMachineName)
        .one();
  }

  public Mono<SessionRow> findById(String id) {
    return db.sql("SELECT " + COLUMNS + " FROM sessions WHERE id = $1")
        .bind(0, id)
        .map(SessionRows::row)
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
    return spec.bind(b, limit).map(SessionRows::row).all();
  }

  /**
   * Locks the account's session row, asks {@code decide} (a pure function of the row: a client's
   * stop or delete) what changes, and writes it. Returns the row afterwards; empty when not found.
   * The lock makes the decision and the write one step against a concurrent reconcile.
   */
  public Mono<SessionRow> decideAndApply(
      String accountId, String id, Function<SessionRow, SessionPatch> decide) {
    Mono<SessionRow> work =
        db.sql("SELECT " + COLUMNS + " FROM sessions WHERE account_id = $1 AND id = $2 FOR UPDATE")
            .bind(0, accountId)
            .bind(1, id)
            .map(SessionRows::row)
            .one()
            .flatMap(
                row -> {
                  SessionPatch patch = decide.apply(row);
                  return patch.isEmpty()
                      ? Mono.just(row)
                      : update(id, patch, " RETURNING " + COLUMNS).map(SessionRows::row).one();
                });
    return tx.transactional(work);
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

  /**
   * Runs {@code work} on the row locked {@code FOR UPDATE SKIP LOCKED}, with its machine (null when
   * none is recorded), in one transaction. Empty when another worker holds it or nothing is due;
   * the work must not sleep.
   */
  public <T> Mono<T> withLocked(String id, BiFunction<SessionRow, MachineRow, Mono<T>> work) {
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
                        SessionRows.row(r), Optional.ofNullable(SessionRows.joinedMachine(r))))
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
        .map(SessionRows::withMachineName)
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

  /** Ids of the given sessions that exist and still need their machine (for the orphan sweep). */
  public Flux<String> liveMachineSessions(List<String> sessionIds) {
    if (sessionIds.isEmpty()) {
      return Flux.empty();
    }
    return db.sql(
            "SELECT id FROM sessions WHERE id = ANY($1)"
                + " AND ("
                + ACTIVE
                + " OR reconcile_at IS NOT NULL)")
        .bind(0, sessionIds.toArray(new String[0]))
        .map(r -> r.get(0, String.class))
        .all();
  }
}
