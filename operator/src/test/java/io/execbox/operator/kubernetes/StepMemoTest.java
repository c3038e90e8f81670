package io.execbox.operator.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class StepMemoTest {
  static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");
  static final String ID = "sess_0123456789abcdef";

  @Test
  void aSessionNeverSteppedHereNeedsAFullStep() {
    StepMemo m = new StepMemo();
    assertThat(m.idleUntil(ID, "1/false", NOW)).isEmpty();
    assertThat(m.accountOf(ID)).isNull();
  }

  @Test
  void theEchoOfItsOwnStatusWriteIsIdleUntilTheRowIsDue() {
    StepMemo m = new StepMemo();
    m.stepped(ID, "1/false", NOW.plusSeconds(30), "acct_a");
    assertThat(m.idleUntil(ID, "1/false", NOW)).contains(NOW.plusSeconds(30));
    assertThat(m.accountOf(ID)).isEqualTo("acct_a");
    m.stepped(ID, "1/false", null, "acct_a");
    assertThat(m.idleUntil(ID, "1/false", NOW)).as("only events bring it").contains(Instant.MAX);
  }

  @Test
  void newInputsAChangeOrADueRowMeanAFullStep() {
    StepMemo m = new StepMemo();
    m.stepped(ID, "1/false", NOW.plusSeconds(30), "acct_a");
    assertThat(m.idleUntil(ID, "1/true", NOW)).as("a stop was asked").isEmpty();
    assertThat(m.idleUntil(ID, "2/false", NOW)).as("the spec changed").isEmpty();
    assertThat(m.idleUntil(ID, "1/false", NOW.plusSeconds(30))).as("due").isEmpty();
    m.changed(ID);
    assertThat(m.idleUntil(ID, "1/false", NOW)).as("its machine changed").isEmpty();
    assertThat(m.idleUntil(ID, "1/false", NOW)).as("the change is consumed").isPresent();
    m.forget(ID);
    assertThat(m.idleUntil(ID, "1/false", NOW)).as("forgotten after a failure").isEmpty();
  }
}
