package io.execbox.machines.fly;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Keeps execbox under the Machines API's documented rate limits: per action and per identifier (the
 * machine, or the app for creates and lists), 1 request a second with bursts of 3, and 5 a second
 * with bursts of 10 for getting one machine. Each (action, identifier) has a token bucket a little
 * slower and smaller than Fly's, so that network jitter between here and Fly never makes two
 * requests arrive closer than Fly allows; a caller waits for its token.
 */
final class FlyRateLimiter {
  /** One action's limit as Fly documents it. */
  record Limit(double perSecond, int burst) {}

  static final Limit DEFAULT = new Limit(1, 3);
  static final Limit GET_MACHINE = new Limit(5, 10);

  /** The share of Fly's rate and burst this client allows itself. */
  private static final double MARGIN = 0.8;

  private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();

  /** Blocks until a request of {@code action} on {@code scope} may go. */
  void acquire(String action, String scope, Limit limit) throws InterruptedException {
    Bucket b =
        buckets.computeIfAbsent(
            action + " " + scope,
            k ->
                new Bucket(
                    limit.perSecond() * MARGIN, Math.max(1, (int) (limit.burst() * MARGIN))));
    long waitNanos;
    while ((waitNanos = b.take()) > 0) {
      Thread.sleep(waitNanos / 1_000_000, (int) (waitNanos % 1_000_000));
    }
  }

  /** Forgets the buckets of a machine that is gone. */
  void forget(String scope) {
    buckets.keySet().removeIf(k -> k.endsWith(" " + scope));
  }

  private static final class Bucket {
    private final double perNano;
    private final double burst;
    private double tokens;
    private long at = System.nanoTime();

    Bucket(double perSecond, int burst) {
      this.perNano = perSecond / 1e9;
      this.burst = burst;
      this.tokens = burst;
    }

    /** Takes a token and returns 0, or returns how long until one is there. */
    synchronized long take() {
      long now = System.nanoTime();
      tokens = Math.min(burst, tokens + (now - at) * perNano);
      at = now;
      if (tokens >= 1) {
        tokens -= 1;
        return 0;
      }
      return (long) Math.ceil((1 - tokens) / perNano);
    }
  }
}
