package io.execbox.store;

import java.time.Instant;

/** A session to insert, subject to its account's quota. */
public record NewSession(
    String id,
    String accountId,
    String specJson,
    String image,
    String backend,
    String idempotencyKey,
    Instant createdAt,
    Instant deadlineAt) {}
