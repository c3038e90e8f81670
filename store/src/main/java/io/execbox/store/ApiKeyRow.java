package io.execbox.store;

import java.time.Instant;

/** An API key as stored: never the key itself, only its hash (not exposed here) and prefix. */
public record ApiKeyRow(
    String id,
    String accountId,
    String name,
    String keyPrefix,
    Instant createdAt,
    Instant revokedAt,
    Instant lastUsedAt) {}
