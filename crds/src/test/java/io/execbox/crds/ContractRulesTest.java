package io.execbox.crds;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The contract's pure rules: what stop and delete do, exit codes, deadlines. */
class ContractRulesTest {
  static Stream<Arguments> stop() {
    return Stream.of(
        Arguments.of(SessionPhase.PENDING, SessionPhase.STOPPED, true, true),
        Arguments.of(SessionPhase.RUNNING, SessionPhase.STOPPED, true, true),
        Arguments.of(SessionPhase.STOPPED, SessionPhase.STOPPED, false, true),
        Arguments.of(SessionPhase.KILLED, SessionPhase.KILLED, false, false),
        Arguments.of(SessionPhase.FAILED, SessionPhase.FAILED, false, false));
  }

  @ParameterizedTest(name = "stop of {0}")
  @MethodSource
  void stop(SessionPhase from, SessionPhase to, boolean endsNow, boolean accepted) {
    assertThat(Transitions.stop(from))
        .isEqualTo(new Transitions.Requested(to, endsNow, null, accepted));
  }

  static Stream<Arguments> kill() {
    return Stream.of(
        Arguments.of(SessionPhase.PENDING, SessionPhase.KILLED, true, "deleted"),
        Arguments.of(SessionPhase.RUNNING, SessionPhase.KILLED, true, "deleted"),
        Arguments.of(SessionPhase.STOPPED, SessionPhase.STOPPED, false, null),
        Arguments.of(SessionPhase.KILLED, SessionPhase.KILLED, false, null),
        Arguments.of(SessionPhase.FAILED, SessionPhase.FAILED, false, null));
  }

  @ParameterizedTest(name = "delete of {0}")
  @MethodSource
  void kill(SessionPhase from, SessionPhase to, boolean endsNow, String reason) {
    assertThat(Transitions.kill(from))
        .isEqualTo(new Transitions.Requested(to, endsNow, reason, true));
  }

  static Stream<Arguments> reportedExitCode() {
    return Stream.of(
        Arguments.of(SessionPhase.STOPPED, 0, 0),
        Arguments.of(SessionPhase.KILLED, 3, 3),
        Arguments.of(SessionPhase.KILLED, null, 137),
        Arguments.of(SessionPhase.STOPPED, null, 143),
        Arguments.of(SessionPhase.FAILED, null, null),
        Arguments.of(SessionPhase.RUNNING, null, null),
        Arguments.of(SessionPhase.PENDING, null, null));
  }

  @ParameterizedTest(name = "{0} with exit code {1} reports {2}")
  @MethodSource
  void reportedExitCode(SessionPhase phase, Integer own, Integer reported) {
    assertThat(ExitCodes.reported(phase, own)).isEqualTo(reported);
  }

  @Test
  void theDeadlineIsTheSessionsOwnTimeoutElseTheInstallationsDefaultFromCreation() {
    Instant created = Instant.parse("2026-01-01T00:00:00Z");
    SessionSpec own = new SessionSpec();
    own.setResources(new ResourceSpec(null, null, 2000));
    assertThat(Deadlines.deadline(own, 9000, created)).isEqualTo(created.plusMillis(2000));
    SessionSpec none = new SessionSpec();
    assertThat(Deadlines.deadline(none, 9000, created)).isEqualTo(created.plusMillis(9000));
    none.setResources(new ResourceSpec(500, null, null));
    assertThat(Deadlines.effectiveTimeoutMs(none, 9000)).isEqualTo(9000);
    assertThat(Deadlines.effectiveTimeoutMs(null, 9000)).isEqualTo(9000);
  }
}
