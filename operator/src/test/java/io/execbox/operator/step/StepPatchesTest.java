package io.execbox.operator.step;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.execbox.machines.MachineRef;
import io.execbox.machines.MachineState;
import io.execbox.machines.Observation;
import io.execbox.machines.PublishedPort;
import io.execbox.store.SessionPatch;
import io.execbox.store.SessionRow;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What the step writes when a command runs, fails, or must be looked at again. */
class StepPatchesTest {
  static final Instant CREATED = Instant.parse("2026-01-01T00:00:00Z");
  static final Instant NOW = CREATED.plusSeconds(3);
  static final MachineRef REF = new MachineRef("sess_0123456789abcdef", "c1", "execbox-x");

  final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  final StepPatches patches =
      new StepPatches(
          new ObjectMapper(), Clock.fixed(NOW, ZoneOffset.UTC), Duration.ofSeconds(1), meters);

  static SessionRow row(String status, Instant startedAt, Instant deadline) {
    return new SessionRow(
        "sess_0123456789abcdef",
        "acct_a",
        status,
        "{}",
        "busybox",
        "docker",
        null,
        CREATED,
        deadline,
        startedAt,
        null,
        null,
        null,
        null,
        null,
        null,
        null,
        0,
        false,
        0,
        null,
        null,
        null,
        null,
        null);
  }

  static Observation running(Instant startedAt, List<PublishedPort> ports) {
    return new Observation(MachineState.RUNNING, REF, null, false, null, startedAt, null, ports);
  }

  @Test
  void aPendingSessionBecomesRunningOnceWithTheBackendsStartTimeAndItsLatencyRecorded() {
    Instant backendStart = CREATED.plusMillis(1500);
    SessionPatch p =
        patches.running(
            row("pending", null, CREATED.plusSeconds(60)), running(backendStart, List.of()), NOW);
    assertThat(p.valueOf("status")).isEqualTo("running");
    assertThat(p.valueOf("started_at")).isEqualTo(backendStart.atOffset(ZoneOffset.UTC));
    assertThat(p.valueOf("reconcile_at")).isEqualTo(NOW.plusSeconds(1).atOffset(ZoneOffset.UTC));
    assertThat(meters.get("execbox.session.start").timer().count()).isEqualTo(1);

    SessionPatch again =
        patches.running(
            row("running", backendStart, CREATED.plusSeconds(60)),
            running(backendStart, List.of()),
            NOW);
    assertThat(again.changes("status")).isFalse();
    assertThat(again.changes("started_at")).isFalse();
    assertThat(meters.get("execbox.session.start").timer().count()).isEqualTo(1);
  }

  @Test
  void withoutTheBackendsStartTimeTheGivenOneCountsAndTheNextLookIsNeverPastTheDeadline() {
    Instant deadline = NOW.plusMillis(300);
    SessionPatch p = patches.running(row("pending", null, deadline), running(null, List.of()), NOW);
    assertThat(p.valueOf("started_at")).isEqualTo(NOW.atOffset(ZoneOffset.UTC));
    assertThat(p.valueOf("reconcile_at")).isEqualTo(deadline.atOffset(ZoneOffset.UTC));
  }

  @Test
  void publishedPortsAreRecordedAsTheNetworkOfAnExposedSession() {
    SessionPatch p =
        patches.running(
            row("pending", null, CREATED.plusSeconds(60)),
            running(NOW, List.of(new PublishedPort(8080, "tcp", "127.0.0.1", 40001))),
            NOW);
    assertThat(String.valueOf(p.valueOf("network")))
        .contains("\"mode\":\"exposed\"")
        .contains("\"8080\":{")
        .contains("http://127.0.0.1:40001");
  }

  @Test
  void aFailedSessionEndsNowWithItsReasonAndIsLookedAtAgainToCleanUp() {
    SessionPatch p = StepPatches.failed("no such image", NOW);
    assertThat(p.valueOf("status")).isEqualTo("failed");
    assertThat(p.valueOf("reason")).isEqualTo("no such image");
    assertThat(p.valueOf("ended_at")).isEqualTo(NOW.atOffset(ZoneOffset.UTC));
    assertThat(p.valueOf("reconcile_at")).isEqualTo(NOW.atOffset(ZoneOffset.UTC));
  }
}
