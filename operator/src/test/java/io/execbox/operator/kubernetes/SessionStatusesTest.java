package io.execbox.operator.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import io.execbox.crds.SessionPhase;
import io.execbox.crds.SessionStatus;
import io.execbox.store.SessionRow;
import io.fabric8.kubernetes.api.model.Condition;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class SessionStatusesTest {
  static final Instant CREATED = Instant.parse("2026-12-02T10:00:00Z");
  static final Instant STARTED = CREATED.plusSeconds(2);
  static final Instant ENDED = CREATED.plusSeconds(5);

  static SessionRow row(
      String status, Instant started, Instant ended, Integer exit, String reason) {
    return new SessionRow(
        "sess_0123456789abcdef",
        "acct_a",
        status,
        "{}",
        "busybox",
        "kubernetes",
        null,
        CREATED,
        CREATED.plusSeconds(60),
        started,
        ended,
        exit,
        reason,
        null,
        null,
        null,
        null,
        1,
        false,
        0,
        null,
        null,
        null,
        null,
        null);
  }

  static Condition condition(SessionStatus s, String type) {
    return s.getConditions().stream()
        .filter(c -> type.equals(c.getType()))
        .findFirst()
        .orElseThrow();
  }

  @Test
  void aPendingSessionIsNeitherStartedNorFinished() {
    SessionStatus s =
        SessionStatuses.of(row("pending", null, null, null, null), null, 1L, null, CREATED);
    assertThat(s.getPhase()).isEqualTo(SessionPhase.PENDING);
    assertThat(condition(s, "Started").getStatus()).isEqualTo("False");
    assertThat(condition(s, "Started").getReason()).isEqualTo("Pending");
    assertThat(condition(s, "Finished").getStatus()).isEqualTo("False");
    assertThat(s.getEndedAt()).isNull();
    assertThat(s.getObservedGeneration()).isEqualTo(1L);
  }

  @Test
  void transitionTimesMoveOnlyWhenAConditionsStatusChanges() {
    SessionStatus pending =
        SessionStatuses.of(row("pending", null, null, null, null), null, 1L, null, CREATED);
    SessionStatus running =
        SessionStatuses.of(
            row("running", STARTED, null, null, null), "sess-01", 1L, pending, STARTED);
    assertThat(condition(running, "Started").getLastTransitionTime())
        .isEqualTo("2026-12-02T10:00:02Z");
    assertThat(condition(running, "Finished").getLastTransitionTime())
        .as("still False: keeps the time it became False")
        .isEqualTo("2026-12-02T10:00:00Z");
    SessionStatus stopped =
        SessionStatuses.of(row("stopped", STARTED, ENDED, 42, null), "sess-01", 1L, running, ENDED);
    assertThat(condition(stopped, "Started").getLastTransitionTime())
        .isEqualTo("2026-12-02T10:00:02Z");
    assertThat(condition(stopped, "Finished").getStatus()).isEqualTo("True");
    assertThat(condition(stopped, "Finished").getReason()).isEqualTo("Stopped");
    assertThat(condition(stopped, "Finished").getMessage()).isEqualTo("exit code 42");
    assertThat(condition(stopped, "Finished").getLastTransitionTime())
        .isEqualTo("2026-12-02T10:00:05Z");
    assertThat(stopped.getExitCode()).isEqualTo(42);
    assertThat(stopped.getEndedAt()).isEqualTo("2026-12-02T10:00:05Z");
  }

  @Test
  void theSameRowSeenLaterSaysTheSameSoNoPatchIsWritten() {
    SessionRow r = row("running", STARTED, null, null, null);
    SessionStatus first = SessionStatuses.of(r, "sess-01", 1L, null, STARTED);
    SessionStatus later = SessionStatuses.of(r, "sess-01", 1L, first, STARTED.plusSeconds(30));
    assertThat(SessionStatuses.same(first, later)).isTrue();
    // a status first written with no previous one gets `now` as its times: still the same status
    SessionStatus fresh = SessionStatuses.of(r, "sess-01", 1L, null, STARTED.plusSeconds(30));
    assertThat(SessionStatuses.same(first, fresh)).isTrue();
  }

  @Test
  void anyChangeOfWhatTheStatusSaysIsNotTheSame() {
    SessionStatus base =
        SessionStatuses.of(row("running", STARTED, null, null, null), "sess-01", 1L, null, STARTED);
    assertThat(SessionStatuses.same(base, null)).isFalse();
    assertThat(SessionStatuses.same(null, null)).isTrue();
    assertThat(
            SessionStatuses.same(
                base,
                SessionStatuses.of(
                    row("running", STARTED, null, null, null), "sess-01", 2L, base, STARTED)))
        .as("new generation observed")
        .isFalse();
    assertThat(
            SessionStatuses.same(
                base,
                SessionStatuses.of(
                    row("running", STARTED, null, null, null), "sess-02", 1L, base, STARTED)))
        .as("other machine")
        .isFalse();
    assertThat(
            SessionStatuses.same(
                base,
                SessionStatuses.of(
                    row("stopped", STARTED, ENDED, null, null), "sess-01", 1L, base, ENDED)))
        .as("ended, exit code not known yet")
        .isFalse();
    SessionStatus ended =
        SessionStatuses.of(row("stopped", STARTED, ENDED, null, null), "sess-01", 1L, base, ENDED);
    assertThat(
            SessionStatuses.same(
                ended,
                SessionStatuses.of(
                    row("stopped", STARTED, ENDED, 0, null), "sess-01", 1L, ended, ENDED)))
        .as("exit code arrived")
        .isFalse();
  }

  @Test
  void aFailedSessionSaysWhyInBothConditions() {
    SessionStatus s =
        SessionStatuses.of(
            row("failed", null, ENDED, null, "ErrImagePull: no such image"), null, 1L, null, ENDED);
    assertThat(s.getReason()).isEqualTo("ErrImagePull: no such image");
    assertThat(condition(s, "Started").getReason()).isEqualTo("CouldNotStart");
    assertThat(condition(s, "Started").getMessage()).isEqualTo("ErrImagePull: no such image");
    assertThat(condition(s, "Finished").getReason()).isEqualTo("Failed");
    assertThat(condition(s, "Finished").getMessage()).isEqualTo("ErrImagePull: no such image");
  }

  @Test
  void theStatusNamesTheSessionIdAndAStatusWrittenWithoutItIsWrittenAgain() {
    SessionRow r = row("running", STARTED, null, null, null);
    SessionStatus s = SessionStatuses.of(r, "sess-01", 1L, null, STARTED);
    assertThat(s.getSessionId()).isEqualTo("sess_0123456789abcdef");
    // a status an older operator wrote has no session id: the next step adds it
    SessionStatus older = SessionStatuses.of(r, "sess-01", 1L, null, STARTED);
    older.setSessionId(null);
    assertThat(SessionStatuses.same(older, s)).isFalse();
  }

  @Test
  void aFailedStepKeepsTheSessionIdInTheStatus() {
    SessionStatus failed =
        SessionStatuses.stepFailed(null, "sess_0123456789abcdef", "no database", 1L, STARTED);
    assertThat(failed.getSessionId()).isEqualTo("sess_0123456789abcdef");
    assertThat(failed.getPhase()).isEqualTo(SessionPhase.PENDING);
    assertThat(condition(failed, "Reconciled").getStatus()).isEqualTo("False");
  }
}
