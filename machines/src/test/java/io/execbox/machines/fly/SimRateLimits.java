package io.execbox.machines.fly;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The Machines API's documented rate limits (FLY.md, "Rate Limits"): per action and per identifier
 * (the machine, or the app), 1 request a second with bursts of 3; getting one machine 5 a second
 * with bursts of 10. A request beyond them is a violation: it is counted and answered 429.
 */
final class SimRateLimits {
  private final Map<String, double[]> buckets = new ConcurrentHashMap<>();
  private final AtomicLong violations = new AtomicLong();
  private final Map<String, AtomicLong> byAction = new ConcurrentHashMap<>();

  /** Whether a request of {@code action} on {@code scope} is within the limits now. */
  boolean allow(String action, String scope) {
    double rate = action.equals("get") ? 5 : 1;
    double burst = action.equals("get") ? 10 : 3;
    double[] b = buckets.computeIfAbsent(action + " " + scope, k -> new double[] {burst, now()});
    synchronized (b) {
      double t = now();
      b[0] = Math.min(burst, b[0] + (t - b[1]) * rate);
      b[1] = t;
      if (b[0] >= 1) {
        b[0] -= 1;
        return true;
      }
    }
    violations.incrementAndGet();
    byAction.computeIfAbsent(action, k -> new AtomicLong()).incrementAndGet();
    return false;
  }

  /** Takes back violations a test made on purpose. */
  void reset(long to) {
    violations.set(to);
  }

  long violations() {
    return violations.get();
  }

  Map<String, AtomicLong> violationsByAction() {
    return byAction;
  }

  private static double now() {
    return System.nanoTime() / 1e9;
  }
}
