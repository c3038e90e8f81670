package io.execbox.api.auth;

import java.time.Clock;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Fixed one-minute windows per key (or client IP). In memory, per replica: behind a load balancer
 * with N api replicas the effective limit is up to N times higher.
 */
public final class RateLimiter {
  /** The outcome of one request against its window. */
  public record Decision(boolean allowed, int limit, int remaining, long resetEpochSeconds) {
    public long retryAfterSeconds(Clock clock) {
      return Math.max(1, resetEpochSeconds - clock.instant().getEpochSecond());
    }
  }

  private static final class Window {
    long start;
    int count;
  }

  private final int limitPerMinute;
  private final Clock clock;
  private final Map<String, Window> windows = new ConcurrentHashMap<>();

  public RateLimiter(int limitPerMinute, Clock clock) {
    this.limitPerMinute = limitPerMinute;
    this.clock = clock;
  }

  public Decision hit(String bucket) {
    long now = clock.millis();
    long windowStart = now - now % 60_000;
    Window w = windows.computeIfAbsent(bucket, k -> new Window());
    int count;
    synchronized (w) {
      if (w.start != windowStart) {
        w.start = windowStart;
        w.count = 0;
      }
      count = ++w.count;
    }
    if (windows.size() > 100_000) {
      windows.entrySet().removeIf(e -> e.getValue().start < windowStart);
    }
    long reset = (windowStart + 60_000) / 1000;
    return new Decision(
        count <= limitPerMinute, limitPerMinute, Math.max(0, limitPerMinute - count), reset);
  }
}
