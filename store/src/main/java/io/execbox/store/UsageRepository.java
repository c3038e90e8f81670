package io.execbox.store;

import java.time.Instant;
import org.springframework.r2dbc.core.DatabaseClient;
import reactor.core.publisher.Mono;

/** The {@code usage_metrics} table, and an account's usage summary. */
public final class UsageRepository {
  private final DatabaseClient db;

  UsageRepository(DatabaseClient db) {
    this.db = db;
  }

  /** Records a finished session's usage once; later calls change nothing. */
  public Mono<Void> record(
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
  public Mono<UsageSummary> summary(String accountId, Instant dayStart) {
    return db.sql(
            "SELECT"
                + " (SELECT count(*) FROM sessions WHERE account_id = $1 AND created_at >= $2) AS today,"
                + " (SELECT count(*) FROM sessions WHERE account_id = $1 AND "
                + SessionRows.ACTIVE
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
}
