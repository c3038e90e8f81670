package io.execbox.store;

import java.time.Instant;

/** A session's row: its spec (JSON), recorded status and the reconcile bookkeeping. */
public record SessionRow(
    String id,
    String accountId,
    String status,
    String specJson,
    String image,
    String backend,
    String idempotencyKey,
    Instant createdAt,
    Instant deadlineAt,
    Instant startedAt,
    Instant endedAt,
    Integer exitCode,
    String reason,
    String networkJson,
    Instant stopRequestedAt,
    Instant termSentAt,
    Instant killRequestedAt,
    int createAttempts,
    boolean outputArchived,
    long outputDropped,
    Instant reconcileAt,
    Double cpuSeconds,
    String ioHolder) {

  public boolean active() {
    return "pending".equals(status) || "running".equals(status);
  }
}
