package io.execbox.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.execbox.store.SessionPatch.Request;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** What a client's stop or delete writes, once decided. */
class SessionPatchTest {
  static final Instant NOW = Instant.parse("2026-01-01T00:00:10Z");
  static final Instant EARLIER = NOW.minusSeconds(5);

  static SessionRow row(String status, Instant killRequestedAt) {
    return new SessionRow(
        "sess_0123456789abcdef",
        "acct_a",
        status,
        "{}",
        "busybox",
        "docker",
        null,
        EARLIER,
        NOW.plusSeconds(60),
        null,
        null,
        null,
        null,
        null,
        null,
        null,
        killRequestedAt,
        0,
        false,
        0,
        null,
        null,
        null,
        null,
        null);
  }

  @Test
  void aStopThatEndsTheSessionWritesItsPhaseEndAndRequestAndLooksAtOnce() {
    SessionPatch p =
        SessionPatch.requested(row("running", null), Request.STOP, "stopped", true, null, NOW);
    assertThat(p.valueOf("status")).isEqualTo("stopped");
    assertThat(p.valueOf("ended_at")).isEqualTo(Rows.odt(NOW));
    assertThat(p.valueOf("stop_requested_at")).isEqualTo(Rows.odt(NOW));
    assertThat(p.valueOf("reconcile_at")).isEqualTo(Rows.odt(NOW));
    assertThat(p.changes("reason")).isFalse();
    assertThat(p.changes("kill_requested_at")).isFalse();
  }

  @Test
  void aStopThatEndsNothingWritesNothing() {
    assertThat(
            SessionPatch.requested(row("stopped", null), Request.STOP, "stopped", false, null, NOW)
                .isEmpty())
        .isTrue();
  }

  @Test
  void aKillOfAnActiveSessionEndsItWithItsReason() {
    SessionPatch p =
        SessionPatch.requested(row("pending", null), Request.KILL, "killed", true, "deleted", NOW);
    assertThat(p.valueOf("status")).isEqualTo("killed");
    assertThat(p.valueOf("reason")).isEqualTo("deleted");
    assertThat(p.valueOf("ended_at")).isEqualTo(Rows.odt(NOW));
    assertThat(p.valueOf("kill_requested_at")).isEqualTo(Rows.odt(NOW));
    assertThat(p.changes("stop_requested_at")).isFalse();
  }

  @Test
  void aKillOfAnEndedSessionOnlyAsksForItsMachineToGoAndKeepsTheFirstRequestTime() {
    SessionPatch first =
        SessionPatch.requested(row("failed", null), Request.KILL, "failed", false, null, NOW);
    assertThat(first.changes("status")).isFalse();
    assertThat(first.changes("ended_at")).isFalse();
    assertThat(first.valueOf("reconcile_at")).isEqualTo(Rows.odt(NOW));
    assertThat(first.valueOf("kill_requested_at")).isEqualTo(Rows.odt(NOW));
    SessionPatch again =
        SessionPatch.requested(row("killed", EARLIER), Request.KILL, "killed", false, null, NOW);
    assertThat(again.changes("kill_requested_at")).isFalse();
    assertThat(again.valueOf("reconcile_at")).isEqualTo(Rows.odt(NOW));
  }
}
