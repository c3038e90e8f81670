package io.execbox.api.auth;

import java.time.Clock;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Fixed one-minute windows per client IP, in memory, per replica: the shield in front of
 * unauthenticated routes and failed authentications, which never reach PostgreSQL for it. The
 * per-key and per-account limits are counted per installation instead ({@code store.RateCounters}),
 * and judged by {@link #judge}.
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

  /**
   * The decision on the {@code count}-th request of a window that began at {@code windowStart}
   * (counted elsewhere, e.g. in PostgreSQL).
   */
  public static Decision judge(int count, int limit, java.time.Instant windowStart) {
    return new Decision(
        count <= limit, limit, Math.max(0, limit - count), windowStart.getEpochSecond() + 60);
  }

  /** Of two decisions on one request, the one to tell the client: a refusal, else the tighter. */
  public static Decision tighter(Decision a, Decision b) {
    if (a.allowed() != b.allowed()) {
      return a.allowed() ? b : a;
    }
    return b.remaining() < a.remaining() ? b : a;
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
