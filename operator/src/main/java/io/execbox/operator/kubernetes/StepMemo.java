package io.execbox.operator.kubernetes;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What the last full step of each session saw, so that a reconcile that brings nothing new only
 * reschedules, without touching PostgreSQL or the cluster.
 *
 * <p>Why it exists: the operator watches Sessions without generation awareness (a stop arrives as
 * an annotation, which does not bump the generation), so each status write of its own comes back as
 * an event and a reconcile. Without this memo every such echo is a full step (a row lock, an
 * observation of the machine, a status read). Measured with P6 (1000 Sessions applied at once,
 * docs/PERFORMANCE.md, 2026-12-03): 17.2 / 19.0 s with it, 18.9 / 20.2 s without, against a target
 * of 20 s. A Session is stepped again when its generation or stop request changed, when its machine
 * changed or its command exited ({@link #changed}), or when its row is due.
 */
final class StepMemo {
  private static final Duration SOON = Duration.ofMillis(100);

  private record Step(String inputs, Instant due, String accountId) {}

  private final Map<String, Step> last = new ConcurrentHashMap<>();
  private final Map<String, Boolean> changed = new ConcurrentHashMap<>();

  /** The session's machine changed or its command exited: its next reconcile is a full step. */
  void changed(String id) {
    changed.put(id, Boolean.TRUE);
  }

  /**
   * When nothing is new since the last full step (same inputs, no change, not yet due), the time it
   * is next due (null: only events bring it); otherwise empty, and a full step must run.
   */
  java.util.Optional<Instant> idleUntil(String id, String inputs, Instant now) {
    Step s = last.get(id);
    if (changed.remove(id) == null
        && s != null
        && s.inputs().equals(inputs)
        && (s.due() == null || s.due().isAfter(now.plus(SOON)))) {
      return java.util.Optional.of(s.due() == null ? Instant.MAX : s.due());
    }
    return java.util.Optional.empty();
  }

  /** The account of the session's row, as its last step saw it; null if not seen. */
  String accountOf(String id) {
    Step s = last.get(id);
    return s == null ? null : s.accountId();
  }

  void stepped(String id, String inputs, Instant due, String accountId) {
    last.put(id, new Step(inputs, due, accountId));
  }

  /** Forgets the session: its next reconcile is a full step, as on first sight. */
  void forget(String id) {
    last.remove(id);
    changed.remove(id);
  }
}
