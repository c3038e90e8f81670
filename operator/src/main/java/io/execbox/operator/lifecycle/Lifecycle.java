package io.execbox.operator.lifecycle;

import io.execbox.crds.SessionPhase;
import io.execbox.machines.Observation;
import java.time.Instant;

/**
 * The one decision at the core of both control modes: from what was recorded and what the backend
 * observes now, the next step. Pure: no I/O, no clock of its own, so every transition is tested
 * from a table.
 */
public final class Lifecycle {
  /** Exit code of a command killed by SIGKILL, as every runtime reports it. */
  public static final int KILLED_EXIT_CODE = 137;

  private Lifecycle() {}

  public static Action decide(
      SessionState s, Observation obs, Instant now, LifecyclePolicy policy) {
    boolean active = s.status().isActive();
    boolean pastDeadline = !now.isBefore(s.deadlineAt());
    return switch (obs.state()) {
      case ABSENT -> absent(s, active, pastDeadline, policy);
      case STARTING -> {
        if (!active) {
          yield new Action.ArchiveAndDestroy();
        }
        if (pastDeadline) {
          yield new Action.DeadlineKill();
        }
        Instant next = now.plus(policy.poll());
        yield new Action.Wait(next.isBefore(s.deadlineAt()) ? next : s.deadlineAt());
      }
      case CREATED -> {
        if (!active) {
          yield new Action.ArchiveAndDestroy();
        }
        if (pastDeadline) {
          yield new Action.DeadlineKill();
        }
        yield new Action.StartMachine();
      }
      case RUNNING -> running(s, obs, now, active, pastDeadline, policy);
      case EXITED -> {
        if (active) {
          String reason = obs.oomKilled() ? "OOMKilled" : null;
          if (pastDeadline) {
            yield new Action.RecordEnd(SessionPhase.KILLED, KILLED_EXIT_CODE, "deadline exceeded");
          }
          yield new Action.RecordEnd(SessionPhase.STOPPED, obs.exitCode(), reason);
        }
        if (s.exitCode() == null && obs.exitCode() != null) {
          yield new Action.RecordEnd(s.status(), obs.exitCode(), null);
        }
        yield new Action.ArchiveAndDestroy();
      }
      case BROKEN ->
          active
              ? new Action.Fail(obs.reason() == null ? "the machine could not run" : obs.reason())
              : new Action.ArchiveAndDestroy();
    };
  }

  private static Action absent(
      SessionState s, boolean active, boolean pastDeadline, LifecyclePolicy policy) {
    if (!active) {
      return s.machineRecorded() && !s.machineDestroyed()
          ? new Action.ArchiveAndDestroy()
          : new Action.Done();
    }
    if (pastDeadline) {
      return new Action.RecordEnd(
          SessionPhase.KILLED, KILLED_EXIT_CODE, "deadline exceeded before the command started");
    }
    if (s.status() == SessionPhase.RUNNING) {
      return new Action.Fail("the machine disappeared while running");
    }
    if (s.createAttempts() >= policy.maxCreateAttempts()) {
      return new Action.Fail(
          "the machine could not be created after " + s.createAttempts() + " attempts");
    }
    return new Action.CreateMachine();
  }

  private static Action running(
      SessionState s,
      Observation obs,
      Instant now,
      boolean active,
      boolean pastDeadline,
      LifecyclePolicy policy) {
    if (s.killRequestedAt() != null) {
      return new Action.Kill("delete requested");
    }
    if (active) {
      if (pastDeadline) {
        return new Action.DeadlineKill();
      }
      if (s.status() == SessionPhase.PENDING) {
        return new Action.RecordRunning(obs.startedAt() == null ? now : obs.startedAt());
      }
      Instant next = now.plus(policy.poll());
      return new Action.Wait(next.isBefore(s.deadlineAt()) ? next : s.deadlineAt());
    }
    if (s.stopRequestedAt() != null) {
      if (s.termSentAt() == null) {
        return new Action.SendTerm();
      }
      Instant killAt = s.termSentAt().plus(policy.stopGrace());
      if (!now.isBefore(killAt)) {
        return new Action.Kill("stop grace period over");
      }
      Instant next = now.plus(policy.poll());
      return new Action.Wait(next.isBefore(killAt) ? next : killAt);
    }
    return new Action.Kill("session already " + s.status().wire());
  }
}
