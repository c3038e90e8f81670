package io.execbox.operator.standalone;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class StepBackoffTest {
  @Test
  void waitsDoubleFromTheFirstUpToTheMostAndASuccessStartsOver() {
    StepBackoff b = new StepBackoff();
    assertThat(b.failed("a")).isEqualTo(Duration.ofMillis(500));
    assertThat(b.failed("a")).isEqualTo(Duration.ofSeconds(1));
    assertThat(b.failed("a")).isEqualTo(Duration.ofSeconds(2));
    for (int i = 0; i < 40; i++) {
      assertThat(b.failed("a")).isLessThanOrEqualTo(StepBackoff.MOST);
    }
    assertThat(b.failed("a")).isEqualTo(StepBackoff.MOST);
    assertThat(b.failed("other")).as("per session").isEqualTo(StepBackoff.FIRST);
    b.succeeded("a");
    assertThat(b.failures("a")).isZero();
    assertThat(b.failed("a")).isEqualTo(StepBackoff.FIRST);
  }
}
