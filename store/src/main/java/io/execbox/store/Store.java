package io.execbox.store;

import io.r2dbc.pool.ConnectionPool;
import io.r2dbc.pool.ConnectionPoolConfiguration;
import io.r2dbc.postgresql.PostgresqlConnectionConfiguration;
import io.r2dbc.postgresql.PostgresqlConnectionFactory;
import io.r2dbc.postgresql.api.PostgresqlConnection;
import java.time.Duration;
import org.springframework.r2dbc.connection.R2dbcTransactionManager;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.transaction.reactive.TransactionalOperator;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.util.retry.Retry;

/** The one entry to PostgreSQL: a connection pool and the repositories on it. */
public final class Store implements AutoCloseable {
  /** The channel the sessions trigger notifies with the session id. */
  public static final String SESSIONS_CHANNEL = "execbox_sessions";

  private final PostgresqlConnectionFactory direct;
  private final ConnectionPool pool;
  private final DatabaseClient db;
  private final TransactionalOperator tx;
  private final AccountRepository accounts;
  private final SessionRepository sessions;
  private final MachineRepository machines;
  private final UsageRepository usage;
  private final OutputArchive outputs;
  private final RateCounters rateCounters;
  private final Flux<String> sessionWakeups;
  private final Sinks.Empty<Void> closing = Sinks.empty();

  public Store(DatabaseSettings settings, int maxConnections) {
    this.direct =
        new PostgresqlConnectionFactory(
            PostgresqlConnectionConfiguration.builder()
                .host(settings.host())
                .port(settings.port())
                .database(settings.database())
                .username(settings.user())
                .password(settings.password())
                .connectTimeout(Duration.ofSeconds(5))
                .build());
    this.pool =
        new ConnectionPool(
            ConnectionPoolConfiguration.builder(direct)
                .initialSize(2)
                .maxSize(maxConnections)
                .maxIdleTime(Duration.ofMinutes(5))
                .maxAcquireTime(Duration.ofSeconds(10))
                .validationQuery("SELECT 1")
                .build());
    this.db = DatabaseClient.create(pool);
    this.tx = TransactionalOperator.create(new R2dbcTransactionManager(pool));
    this.accounts = new AccountRepository(db, tx);
    this.sessions = new SessionRepository(db, tx);
    this.machines = new MachineRepository(db);
    this.usage = new UsageRepository(db);
    this.outputs = new OutputArchive(db, tx, sessions);
    this.rateCounters = new RateCounters(db);
    this.sessionWakeups = listen(SESSIONS_CHANNEL).share();
  }

  public AccountRepository accounts() {
    return accounts;
  }

  public SessionRepository sessions() {
    return sessions;
  }

  public MachineRepository machines() {
    return machines;
  }

  public UsageRepository usage() {
    return usage;
  }

  public OutputArchive outputs() {
    return outputs;
  }

  public RateCounters rateCounters() {
    return rateCounters;
  }

  /**
   * A secret every replica of this installation shares: made (random, 48 bytes) by the first
   * process that asks for it, the same for all afterwards.
   */
  public Mono<String> installationSecret(String name) {
    byte[] fresh = new byte[48];
    new java.security.SecureRandom().nextBytes(fresh);
    return db.sql(
            "INSERT INTO installation_secrets (name, value) VALUES ($1, $2)"
                + " ON CONFLICT (name) DO NOTHING")
        .bind(0, name)
        .bind(1, java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(fresh))
        .fetch()
        .rowsUpdated()
        .then(
            db.sql("SELECT value FROM installation_secrets WHERE name = $1")
                .bind(0, name)
                .map(r -> r.get(0, String.class))
                .one());
  }

  /** This installation's id, made once by the first migration. */
  public Mono<String> installationId() {
    return db.sql("SELECT id FROM installation ORDER BY created_at LIMIT 1")
        .map(r -> r.get(0, String.class))
        .one();
  }

  /** Checks the database answers. */
  public Mono<Void> ping() {
    return db.sql("SELECT 1").fetch().rowsUpdated().then();
  }

  /**
   * Session ids whose row needs work, as PostgreSQL announces them (LISTEN/NOTIFY on a dedicated
   * connection, reconnected after a failure). Shared: one connection however many subscribers.
   */
  public Flux<String> sessionWakeups() {
    return sessionWakeups;
  }

  private Flux<String> listen(String channel) {
    return Flux.usingWhen(
            direct.create(),
            (PostgresqlConnection c) ->
                c.createStatement("LISTEN " + channel)
                    .execute()
                    .flatMap(r -> r.getRowsUpdated())
                    .thenMany(c.getNotifications())
                    .map(n -> n.getParameter() == null ? "" : n.getParameter()),
            PostgresqlConnection::close)
        .retryWhen(
            Retry.backoff(Long.MAX_VALUE, Duration.ofMillis(200)).maxBackoff(Duration.ofSeconds(5)))
        // a closing store neither listens nor dials again
        .takeUntilOther(closing.asMono());
  }

  /**
   * Closes the connections, waiting (up to 10 s) for those in use to be given back: whoever uses
   * the store stops first, so nothing is cut off mid-statement.
   */
  @Override
  public void close() {
    closing.tryEmitEmpty();
    try {
      pool.disposeLater().block(Duration.ofSeconds(10));
    } catch (RuntimeException e) {
      pool.dispose();
    }
  }
}
