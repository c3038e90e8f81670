package io.execbox.store;

import io.r2dbc.spi.Readable;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.transaction.reactive.TransactionalOperator;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** Accounts and their API keys. Keys are looked up by the SHA-256 of the key only. */
public final class AccountRepository {
  private static final String KEY_COLUMNS =
      "id, account_id, name, key_prefix, created_at, revoked_at, last_used_at";

  private final DatabaseClient db;
  private final TransactionalOperator tx;

  AccountRepository(DatabaseClient db, TransactionalOperator tx) {
    this.db = db;
    this.tx = tx;
  }

  public Mono<AccountRow> createAccount(String id, String name, int maxActiveSessions) {
    return db.sql(
            "INSERT INTO accounts (id, name, max_active_sessions) VALUES ($1, $2, $3)"
                + " RETURNING id, name, max_active_sessions, created_at")
        .bind(0, id)
        .bind(1, name)
        .bind(2, maxActiveSessions)
        .map(AccountRepository::account)
        .one();
  }

  /** The account, created first if it does not exist. */
  public Mono<AccountRow> ensureAccount(String id, String name, int maxActiveSessions) {
    return db.sql(
            "INSERT INTO accounts (id, name, max_active_sessions) VALUES ($1, $2, $3)"
                + " ON CONFLICT (id) DO NOTHING")
        .bind(0, id)
        .bind(1, name)
        .bind(2, maxActiveSessions)
        .fetch()
        .rowsUpdated()
        .then(findAccount(id));
  }

  public Mono<AccountRow> findAccount(String id) {
    return db.sql("SELECT id, name, max_active_sessions, created_at FROM accounts WHERE id = $1")
        .bind(0, id)
        .map(AccountRepository::account)
        .one();
  }

  public Mono<ApiKeyRow> insertKey(
      String id, String accountId, String name, String keyHash, String keyPrefix) {
    return db.sql(
            "INSERT INTO api_keys (id, account_id, name, key_hash, key_prefix)"
                + " VALUES ($1, $2, $3, $4, $5) RETURNING "
                + KEY_COLUMNS)
        .bind(0, id)
        .bind(1, accountId)
        .bind(2, name)
        .bind(3, keyHash)
        .bind(4, keyPrefix)
        .map(AccountRepository::key)
        .one();
  }

  /**
   * Inserts a key unless the account has {@code maxLiveKeys} live (not revoked) keys already; empty
   * then, and when there is no such account. The account's row is locked first, so concurrent
   * inserts cannot overshoot the cap.
   */
  public Mono<ApiKeyRow> insertKeyWithin(
      int maxLiveKeys, String id, String accountId, String name, String keyHash, String keyPrefix) {
    return tx.transactional(
        db.sql("SELECT id FROM accounts WHERE id = $1 FOR UPDATE")
            .bind(0, accountId)
            .map(r -> r.get("id", String.class))
            .one()
            // counted after the lock: READ COMMITTED gives this statement a fresh snapshot
            .flatMap(found -> countLiveKeys(accountId))
            .filter(n -> n < maxLiveKeys)
            .flatMap(n -> insertKey(id, accountId, name, keyHash, keyPrefix)));
  }

  /** The number of live (not revoked) keys of an account. */
  public Mono<Long> countLiveKeys(String accountId) {
    return db.sql("SELECT count(*) AS n FROM api_keys WHERE account_id = $1 AND revoked_at IS NULL")
        .bind(0, accountId)
        .map(r -> r.get("n", Long.class))
        .one();
  }

  /**
   * Makes sure the account exists with this quota (configuration owns it: a changed quota applies
   * at the next start) and holds the key, unless a key with that hash exists already (bootstrap
   * keys from configuration); returns the key row either way.
   */
  public Mono<ApiKeyRow> ensureKey(
      String accountId,
      String accountName,
      int maxActiveSessions,
      String keyId,
      String keyHash,
      String keyPrefix) {
    Mono<Long> account =
        db.sql(
                "INSERT INTO accounts (id, name, max_active_sessions) VALUES ($1, $2, $3)"
                    + " ON CONFLICT (id) DO UPDATE"
                    + " SET max_active_sessions = EXCLUDED.max_active_sessions")
            .bind(0, accountId)
            .bind(1, accountName)
            .bind(2, maxActiveSessions)
            .fetch()
            .rowsUpdated();
    Mono<ApiKeyRow> key =
        findActiveKeyByHash(keyHash)
            .switchIfEmpty(
                Mono.defer(() -> insertKey(keyId, accountId, "bootstrap", keyHash, keyPrefix)));
    return tx.transactional(account.then(key));
  }

  /** The live (not revoked) key with this hash, if any. */
  public Mono<ApiKeyRow> findActiveKeyByHash(String keyHash) {
    return db.sql(
            "SELECT " + KEY_COLUMNS + " FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL")
        .bind(0, keyHash)
        .map(AccountRepository::key)
        .one();
  }

  public Mono<Void> touchKey(String keyId) {
    return db.sql(
            "UPDATE api_keys SET last_used_at = now() WHERE id = $1"
                + " AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')")
        .bind(0, keyId)
        .fetch()
        .rowsUpdated()
        .then();
  }

  public Flux<ApiKeyRow> listKeys(String accountId) {
    return db.sql(
            "SELECT "
                + KEY_COLUMNS
                + " FROM api_keys WHERE account_id = $1 ORDER BY created_at DESC, id DESC")
        .bind(0, accountId)
        .map(AccountRepository::key)
        .all();
  }

  /** Revokes a key of the account; empty when there is no such live key. */
  public Mono<ApiKeyRow> revokeKey(String accountId, String keyId) {
    return db.sql(
            "UPDATE api_keys SET revoked_at = now() WHERE account_id = $1 AND id = $2"
                + " AND revoked_at IS NULL RETURNING "
                + KEY_COLUMNS)
        .bind(0, accountId)
        .bind(1, keyId)
        .map(AccountRepository::key)
        .one();
  }

  /** Revokes {@code oldKeyId} and inserts the new key in one transaction. */
  public Mono<ApiKeyRow> rotateKey(
      String accountId, String oldKeyId, String newId, String newHash, String newPrefix) {
    return tx.transactional(
        revokeKey(accountId, oldKeyId)
            .flatMap(old -> insertKey(newId, accountId, old.name(), newHash, newPrefix)));
  }

  private static AccountRow account(Readable r) {
    return new AccountRow(
        r.get("id", String.class),
        r.get("name", String.class),
        r.get("max_active_sessions", Integer.class),
        Rows.instant(r, "created_at"));
  }

  static ApiKeyRow key(Readable r) {
    return new ApiKeyRow(
        r.get("id", String.class),
        r.get("account_id", String.class),
        r.get("name", String.class),
        r.get("key_prefix", String.class),
        Rows.instant(r, "created_at"),
        Rows.instant(r, "revoked_at"),
        Rows.instant(r, "last_used_at"));
  }
}
