package io.execbox.crds;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class Rfc3339Test {
  @Test
  void timesAreUtcCutNotRoundedToMilliseconds() {
    assertThat(Rfc3339.format(Instant.parse("2026-01-02T03:04:05.123999Z")))
        .isEqualTo("2026-01-02T03:04:05.123Z");
    assertThat(Rfc3339.format(Instant.parse("2026-01-02T03:04:05.000999Z")))
        .isEqualTo("2026-01-02T03:04:05Z");
  }

  @Test
  void anAbsentTimeStaysAbsent() {
    assertThat(Rfc3339.format(null)).isNull();
  }
}
