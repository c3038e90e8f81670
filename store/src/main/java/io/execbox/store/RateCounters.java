package io.execbox.store;

import io.r2dbc.spi.Readable;
import java.time.Instant;
import org.springframework.r2dbc.core.DatabaseClient;
import reactor.core.publisher.Mono;

/**
 * The installation's request counters: fixed one-minute windows (PostgreSQL's clock decides the
 * window, so replicas whose clocks differ still count in the same one) per key and per account,
 * kept in PostgreSQL so that every api replica counts against the same limit.
 */
public final class RateCounters {
  /**
   * A request made with a live key, counted.
   *
   * @param keyHits requests of this key in the window, this one included
   * @param accountHits requests of the key's account (all its keys) in the window, this one
   *     included
   * @param windowStart when the window began; it ends a minute later
   */
  public record KeyUse(ApiKeyRow key, int keyHits, int accountHits, Instant windowStart) {}

  // One round trip per request: the key is looked up and both counters are raised in the same
  // statement (the key's row is locked before its account's, always in that order, so two keys of
  // one account never deadlock).
  private static final String USE_KEY =
      """
      WITH k AS (
        SELECT id, account_id, name, key_prefix, created_at, revoked_at, last_used_at
        FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL),
      w AS (SELECT date_trunc('minute', now()) AS start),
      c AS (
        INSERT INTO rate_counters AS r (bucket, window_start, hits)
        SELECT b.bucket, w.start, 1
        FROM k CROSS JOIN w
        CROSS JOIN LATERAL (VALUES (1, 'key:' || k.id), (2, 'account:' || k.account_id))
          AS b (ord, bucket)
        ORDER BY b.ord
        ON CONFLICT (bucket, window_start) DO UPDATE SET hits = r.hits + 1
        RETURNING r.bucket, r.hits)
      SELECT k.*, w.start AS window_start,
        (SELECT hits FROM c WHERE c.bucket = 'key:' || k.id) AS key_hits,
        (SELECT hits FROM c WHERE c.bucket = 'account:' || k.account_id) AS account_hits
      FROM k CROSS JOIN w
      """;

  private final DatabaseClient db;

  RateCounters(DatabaseClient db) {
    this.db = db;
  }

  /** The live key with this hash, counted once in its and its account's window; empty if none. */
  public Mono<KeyUse> useKey(String keyHash) {
    return db.sql(USE_KEY).bind(0, keyHash).map(RateCounters::use).one();
  }

  /** Deletes the counters of windows before the previous one; returns how many. */
  public Mono<Long> forgetOldWindows() {
    return db.sql(
            "DELETE FROM rate_counters"
                + " WHERE window_start < date_trunc('minute', now()) - interval '1 minute'")
        .fetch()
        .rowsUpdated();
  }

  private static KeyUse use(Readable r) {
    return new KeyUse(
        AccountRepository.key(r),
        r.get("key_hits", Integer.class),
        r.get("account_hits", Integer.class),
        Rows.instant(r, "window_start"));
  }
}
