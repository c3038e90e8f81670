package io.execbox.machines.fly;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Faults the simulator injects, by action ({@code create}, {@code get}, {@code list}, {@code wait},
 * {@code stop}, {@code signal}, {@code delete}, {@code events}, {@code get_app}) or {@code *} for
 * every action: the next N requests answered 429 (a burst) or 5xx, every request answered late, and
 * creates that create the machine and then answer 408 or drop the connection.
 */
public final class SimFaults {
  private final Map<String, AtomicInteger> tooMany = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> serverErrors = new ConcurrentHashMap<>();
  private final Map<String, Duration> slow = new ConcurrentHashMap<>();
  private final AtomicInteger timeoutAfterCreate = new AtomicInteger();
  private final AtomicInteger dropAfterCreate = new AtomicInteger();
  private volatile int serverErrorStatus = 503;

  /** The next {@code n} requests of {@code action} are answered 429. */
  public SimFaults tooManyRequests(String action, int n) {
    tooMany.computeIfAbsent(action, k -> new AtomicInteger()).addAndGet(n);
    return this;
  }

  /** The next {@code n} requests of {@code action} are answered {@code status} (a 5xx). */
  public SimFaults serverErrors(String action, int n, int status) {
    serverErrorStatus = status;
    serverErrors.computeIfAbsent(action, k -> new AtomicInteger()).addAndGet(n);
    return this;
  }

  /** Every request of {@code action} is answered {@code delay} late (null: on time again). */
  public SimFaults slow(String action, Duration delay) {
    if (delay == null) {
      slow.remove(action);
    } else {
      slow.put(action, delay);
    }
    return this;
  }

  /** The next {@code n} creates create their machine and then answer 408. */
  public SimFaults timeoutAfterCreate(int n) {
    timeoutAfterCreate.addAndGet(n);
    return this;
  }

  /** The next {@code n} creates create their machine and then close the connection unanswered. */
  public SimFaults dropAfterCreate(int n) {
    dropAfterCreate.addAndGet(n);
    return this;
  }

  boolean takeTooMany(String action) {
    return take(tooMany, action) || take(tooMany, "*");
  }

  int takeServerError(String action) {
    return take(serverErrors, action) || take(serverErrors, "*") ? serverErrorStatus : 0;
  }

  Duration delay(String action) {
    Duration d = slow.get(action);
    return d != null ? d : slow.get("*");
  }

  boolean takeTimeoutAfterCreate() {
    return timeoutAfterCreate.getAndUpdate(n -> Math.max(0, n - 1)) > 0;
  }

  boolean takeDropAfterCreate() {
    return dropAfterCreate.getAndUpdate(n -> Math.max(0, n - 1)) > 0;
  }

  private static boolean take(Map<String, AtomicInteger> m, String action) {
    AtomicInteger n = m.get(action);
    return n != null && n.getAndUpdate(v -> Math.max(0, v - 1)) > 0;
  }
}
