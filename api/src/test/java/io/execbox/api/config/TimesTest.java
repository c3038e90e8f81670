package io.execbox.api.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class TimesTest {
  @Test
  void timesAreUtcCutNotRoundedToMilliseconds() {
    assertThat(Times.rfc3339(Instant.parse("2026-01-02T03:04:05.123999Z")))
        .isEqualTo("2026-01-02T03:04:05.123Z");
    assertThat(Times.rfc3339(Instant.parse("2026-01-02T03:04:05.000999Z")))
        .isEqualTo("2026-01-02T03:04:05Z");
  }

  @Test
  void anAbsentTimeStaysAbsent() {
    assertThat(Times.rfc3339(null)).isNull();
  }
}
