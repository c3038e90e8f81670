package io.execbox.store;

/** What inserting a session came to. */
public sealed interface CreateOutcome {
  /** Inserted. */
  record Created(SessionRow session) implements CreateOutcome {}

  /** An earlier create with the same Idempotency-Key; nothing inserted. */
  record Existing(SessionRow session) implements CreateOutcome {}

  /** The account already has {@code limit} pending or running sessions; nothing inserted. */
  record QuotaExceeded(int limit) implements CreateOutcome {}

  /** The account does not exist. */
  record NoAccount() implements CreateOutcome {}
}
