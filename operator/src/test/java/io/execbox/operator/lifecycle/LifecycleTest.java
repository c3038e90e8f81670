package io.execbox.operator.lifecycle;

import static io.execbox.crds.SessionPhase.FAILED;
import static io.execbox.crds.SessionPhase.KILLED;
import static io.execbox.crds.SessionPhase.PENDING;
import static io.execbox.crds.SessionPhase.RUNNING;
import static io.execbox.crds.SessionPhase.STOPPED;
import static org.assertj.core.api.Assertions.assertThat;

import io.execbox.crds.SessionPhase;
import io.execbox.machines.MachineRef;
import io.execbox.machines.MachineState;
import io.execbox.machines.Observation;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class LifecycleTest {
  static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  static final Instant DEADLINE = T0.plusSeconds(60);
  static final Instant NOW = T0.plusSeconds(10);
  static final LifecyclePolicy POLICY =
      new LifecyclePolicy(Duration.ofSeconds(5), Duration.ofSeconds(1), 3);
  static final MachineRef REF = new MachineRef("sess_0123456789abcdef", "c1", "execbox-sess-x");

  /** A recorded state; fields not named take the values of a fresh pending session. */
  static SessionState state(SessionPhase status) {
    return new SessionState(status, T0, DEADLINE, null, null, null, null, null, 0, false, false);
  }

  static SessionState with(
      SessionPhase status,
      Integer exitCode,
      Instant stopAt,
      Instant termAt,
      Instant killAt,
      int attempts,
      boolean recorded,
      boolean destroyed) {
    return new SessionState(
        status, T0, DEADLINE, null, exitCode, stopAt, termAt, killAt, attempts, recorded,
        destroyed);
  }

  static Observation obs(MachineState st) {
    return new Observation(st, REF, null, false, null, T0.plusSeconds(1), null, List.of());
  }

  static Observation exited(int code, boolean oom) {
    return new Observation(
        MachineState.EXITED, REF, code, oom, null, T0.plusSeconds(1), NOW, List.of());
  }

  static Observation broken(String reason) {
    return new Observation(MachineState.BROKEN, REF, null, false, reason, null, null, List.of());
  }

  static Stream<Arguments> table() {
    Instant past = NOW.minusSeconds(1);
    Instant longAgo = NOW.minusSeconds(30);
    return Stream.of(
        // pending, no machine yet
        Arguments.of(
            "new session", state(PENDING), Observation.absent(), NOW, new Action.CreateMachine()),
        Arguments.of(
            "create retried",
            with(PENDING, null, null, null, null, 2, false, false),
            Observation.absent(),
            NOW,
            new Action.CreateMachine()),
        Arguments.of(
            "create attempts exhausted",
            with(PENDING, null, null, null, null, 3, false, false),
            Observation.absent(),
            NOW,
            new Action.Fail("the machine could not be created after 3 attempts")),
        Arguments.of(
            "deadline before start",
            state(PENDING),
            Observation.absent(),
            DEADLINE,
            new Action.RecordEnd(KILLED, 137, "deadline exceeded before the command started")),
        // the runtime still prepares the machine (a Pod being scheduled or pulled)
        Arguments.of(
            "starting waits for poll",
            state(PENDING),
            obs(MachineState.STARTING),
            NOW,
            new Action.Wait(NOW.plusSeconds(1))),
        Arguments.of(
            "starting waits no later than deadline",
            state(PENDING),
            obs(MachineState.STARTING),
            DEADLINE.minusMillis(300),
            new Action.Wait(DEADLINE)),
        Arguments.of(
            "starting past deadline",
            state(PENDING),
            obs(MachineState.STARTING),
            DEADLINE,
            new Action.DeadlineKill()),
        Arguments.of(
            "starting but deleted",
            state(KILLED),
            obs(MachineState.STARTING),
            NOW,
            new Action.ArchiveAndDestroy()),
        // machine created, command not started
        Arguments.of(
            "created → start",
            state(PENDING),
            obs(MachineState.CREATED),
            NOW,
            new Action.StartMachine()),
        Arguments.of(
            "created past deadline",
            state(PENDING),
            obs(MachineState.CREATED),
            DEADLINE,
            new Action.DeadlineKill()),
        Arguments.of(
            "created but stopped",
            state(STOPPED),
            obs(MachineState.CREATED),
            NOW,
            new Action.ArchiveAndDestroy()),
        // running
        Arguments.of(
            "running recorded",
            state(PENDING),
            obs(MachineState.RUNNING),
            NOW,
            new Action.RecordRunning(T0.plusSeconds(1))),
        Arguments.of(
            "running waits for poll",
            state(RUNNING),
            obs(MachineState.RUNNING),
            NOW,
            new Action.Wait(NOW.plusSeconds(1))),
        Arguments.of(
            "running waits no later than deadline",
            state(RUNNING),
            obs(MachineState.RUNNING),
            DEADLINE.minusMillis(300),
            new Action.Wait(DEADLINE)),
        Arguments.of(
            "deadline kills",
            state(RUNNING),
            obs(MachineState.RUNNING),
            DEADLINE,
            new Action.DeadlineKill()),
        Arguments.of(
            "pending past deadline while running",
            state(PENDING),
            obs(MachineState.RUNNING),
            DEADLINE.plusSeconds(1),
            new Action.DeadlineKill()),
        Arguments.of(
            "delete kills",
            with(KILLED, null, null, null, past, 0, true, false),
            obs(MachineState.RUNNING),
            NOW,
            new Action.Kill("delete requested")),
        Arguments.of(
            "stop sends SIGTERM",
            with(STOPPED, null, past, null, null, 0, true, false),
            obs(MachineState.RUNNING),
            NOW,
            new Action.SendTerm()),
        Arguments.of(
            "stop waits for grace",
            with(STOPPED, null, past, past, null, 0, true, false),
            obs(MachineState.RUNNING),
            NOW,
            new Action.Wait(NOW.plusSeconds(1))),
        Arguments.of(
            "stop grace over kills",
            with(STOPPED, null, longAgo, longAgo, null, 0, true, false),
            obs(MachineState.RUNNING),
            NOW,
            new Action.Kill("stop grace period over")),
        Arguments.of(
            "failed but running kills",
            with(FAILED, null, null, null, null, 0, true, false),
            obs(MachineState.RUNNING),
            NOW,
            new Action.Kill("session already failed")),
        // exited
        Arguments.of(
            "exit 0",
            state(RUNNING),
            exited(0, false),
            NOW,
            new Action.RecordEnd(STOPPED, 0, null)),
        Arguments.of(
            "exit 42",
            state(RUNNING),
            exited(42, false),
            NOW,
            new Action.RecordEnd(STOPPED, 42, null)),
        Arguments.of(
            "fast exit while pending",
            state(PENDING),
            exited(3, false),
            NOW,
            new Action.RecordEnd(STOPPED, 3, null)),
        Arguments.of(
            "oom keeps its reason",
            state(RUNNING),
            exited(137, true),
            NOW,
            new Action.RecordEnd(STOPPED, 137, "OOMKilled")),
        Arguments.of(
            "exit after deadline is a kill",
            state(RUNNING),
            exited(137, false),
            DEADLINE,
            new Action.RecordEnd(KILLED, 137, "deadline exceeded")),
        Arguments.of(
            "stopped: exit code recorded",
            with(STOPPED, null, past, past, null, 0, true, false),
            exited(143, false),
            NOW,
            new Action.RecordEnd(STOPPED, 143, null)),
        Arguments.of(
            "killed: exit code recorded",
            with(KILLED, null, null, null, past, 0, true, false),
            exited(137, false),
            NOW,
            new Action.RecordEnd(KILLED, 137, null)),
        Arguments.of(
            "ended: archive and destroy",
            with(STOPPED, 0, null, null, null, 0, true, false),
            exited(0, false),
            NOW,
            new Action.ArchiveAndDestroy()),
        // broken
        Arguments.of(
            "broken fails",
            state(PENDING),
            broken("image not found"),
            NOW,
            new Action.Fail("image not found")),
        Arguments.of(
            "broken without reason",
            state(RUNNING),
            broken(null),
            NOW,
            new Action.Fail("the machine could not run")),
        Arguments.of(
            "broken after end is cleaned",
            with(FAILED, null, null, null, null, 0, true, false),
            broken("x"),
            NOW,
            new Action.ArchiveAndDestroy()),
        // machine gone
        Arguments.of(
            "running machine vanished",
            state(RUNNING),
            Observation.absent(),
            NOW,
            new Action.Fail("the machine disappeared while running")),
        Arguments.of(
            "ended, machine gone, not yet marked",
            with(STOPPED, 0, null, null, null, 0, true, false),
            Observation.absent(),
            NOW,
            new Action.ArchiveAndDestroy()),
        Arguments.of(
            "ended and destroyed",
            with(STOPPED, 0, null, null, null, 0, true, true),
            Observation.absent(),
            NOW,
            new Action.Done()),
        Arguments.of(
            "stopped before any machine",
            with(STOPPED, null, past, null, null, 0, false, false),
            Observation.absent(),
            NOW,
            new Action.Done()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("table")
  void decides(String name, SessionState s, Observation o, Instant now, Action expected) {
    assertThat(Lifecycle.decide(s, o, now, POLICY)).isEqualTo(expected);
  }
}
