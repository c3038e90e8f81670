package io.execbox.operator.standalone;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * How long standalone mode waits before it tries a failing session's step again: {@link #FIRST},
 * doubling with each failure in a row up to {@link #MOST}; a step that succeeds starts it over.
 * Kept in memory: a restarted process starts over too.
 */
final class StepBackoff {
  static final Duration FIRST = Duration.ofMillis(500);
  static final Duration MOST = Duration.ofSeconds(15);

  private final Map<String, Integer> failures = new ConcurrentHashMap<>();

  /** Records a failure of the session's step; the wait before the next try. */
  Duration failed(String id) {
    int n = failures.merge(id, 1, Integer::sum);
    Duration d = FIRST.multipliedBy(1L << Math.min(n - 1, 16));
    return d.compareTo(MOST) > 0 ? MOST : d;
  }

  /** Records that the session's step went through. */
  void succeeded(String id) {
    failures.remove(id);
  }

  /** Failures in a row of the session's step (0 when its last step went through). */
  int failures(String id) {
    return failures.getOrDefault(id, 0);
  }
}
