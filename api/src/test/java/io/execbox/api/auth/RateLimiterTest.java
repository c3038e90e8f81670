package io.execbox.api.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class RateLimiterTest {
  static final long MINUTE_START = Instant.parse("2026-12-02T10:00:00Z").toEpochMilli();
  final AtomicLong now = new AtomicLong(MINUTE_START + 30_000);
  final Clock clock =
      new Clock() {
        @Override
        public ZoneOffset getZone() {
          return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
          return this;
        }

        @Override
        public Instant instant() {
          return Instant.ofEpochMilli(now.get());
        }
      };
  final RateLimiter limiter = new RateLimiter(3, clock);

  @Test
  void theRequestAfterTheLimitIsRefusedUntilTheWindowEnds() {
    assertThat(limiter.hit("k").remaining()).isEqualTo(2);
    assertThat(limiter.hit("k").remaining()).isEqualTo(1);
    RateLimiter.Decision third = limiter.hit("k");
    assertThat(third.allowed()).isTrue();
    assertThat(third.remaining()).isZero();
    RateLimiter.Decision fourth = limiter.hit("k");
    assertThat(fourth.allowed()).isFalse();
    assertThat(fourth.resetEpochSeconds()).isEqualTo(MINUTE_START / 1000 + 60);
    assertThat(fourth.retryAfterSeconds(clock)).isEqualTo(30);
  }

  @Test
  void aNewWindowStartsAfreshAndBucketsAreApart() {
    for (int i = 0; i < 4; i++) {
      limiter.hit("k");
    }
    assertThat(limiter.hit("k").allowed()).isFalse();
    assertThat(limiter.hit("other").allowed()).as("another bucket").isTrue();
    now.set(MINUTE_START + 59_999);
    assertThat(limiter.hit("k").allowed()).as("same window, last millisecond").isFalse();
    now.set(MINUTE_START + 60_000);
    RateLimiter.Decision next = limiter.hit("k");
    assertThat(next.allowed()).isTrue();
    assertThat(next.remaining()).isEqualTo(2);
    assertThat(next.resetEpochSeconds()).isEqualTo(MINUTE_START / 1000 + 120);
  }

  @Test
  void retryAfterIsNeverBelowOneSecond() {
    now.set(MINUTE_START + 59_900);
    for (int i = 0; i < 3; i++) {
      limiter.hit("k");
    }
    assertThat(limiter.hit("k").retryAfterSeconds(clock)).isEqualTo(1);
  }

  @Test
  void aCountKeptElsewhereIsJudgedAgainstItsWindow() {
    Instant window = Instant.ofEpochMilli(MINUTE_START);
    RateLimiter.Decision last = RateLimiter.judge(3, 3, window);
    assertThat(last.allowed()).isTrue();
    assertThat(last.remaining()).isZero();
    assertThat(last.resetEpochSeconds()).isEqualTo(MINUTE_START / 1000 + 60);
    assertThat(RateLimiter.judge(4, 3, window).allowed()).isFalse();
  }

  @Test
  void theTighterOfTwoLimitsIsTheRefusalElseTheOneWithLessLeft() {
    Instant window = Instant.ofEpochMilli(MINUTE_START);
    RateLimiter.Decision key = RateLimiter.judge(10, 100, window);
    RateLimiter.Decision account = RateLimiter.judge(295, 300, window);
    assertThat(RateLimiter.tighter(key, account)).isSameAs(account);
    RateLimiter.Decision keyRefused = RateLimiter.judge(101, 100, window);
    assertThat(RateLimiter.tighter(keyRefused, account)).isSameAs(keyRefused);
    RateLimiter.Decision accountRefused = RateLimiter.judge(301, 300, window);
    assertThat(RateLimiter.tighter(key, accountRefused)).isSameAs(accountRefused);
  }
}
