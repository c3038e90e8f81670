package io.execbox.store;

import java.time.Instant;

/**
 * A session's row: its spec (JSON), recorded status and the reconcile bookkeeping. In kubernetes
 * mode, {@code resourceNamespace} and {@code resourceName} name the Session resource of a session
 * the operator adopted (one applied with kubectl, named as its user chose); both are null for one
 * the API created, whose resource is {@code sess-<hex>} in the installation's namespace.
 */
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
    String ioHolder,
    String resourceNamespace,
    String resourceName) {

  public boolean active() {
    return "pending".equals(status) || "running".equals(status);
  }
}
