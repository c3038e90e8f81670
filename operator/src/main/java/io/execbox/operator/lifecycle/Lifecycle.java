package io.execbox.operator.lifecycle;

import io.execbox.crds.ExitCodes;
import io.execbox.crds.SessionPhase;
import io.execbox.machines.MachineState;
import io.execbox.machines.Observation;
import java.time.Duration;
import java.time.Instant;

/**
 * The one decision at the core of both control modes: from what was recorded and what the backend
 * observes now, the next step. Pure: no I/O, no clock of its own, so every transition is tested
 * from a table.
 */
public final class Lifecycle {
  /**
   * How far in the past a Session resource's creation may lie and still count as its creation: one
   * older than this (applied while the operator was down) gets its whole deadline from now.
   */
  public static final Duration ADOPTION_SLACK = Duration.ofSeconds(5);

  /** The reason of a session killed at its deadline. */
  public static final String DEADLINE_EXCEEDED = "deadline exceeded";

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
            yield new Action.RecordEnd(SessionPhase.KILLED, ExitCodes.KILLED, DEADLINE_EXCEEDED);
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

  /**
   * The step after the machine was created (and, where the backend allows, attached and started),
   * from what the backend sees then: a command that runs or already ran is recorded running; a
   * machine the runtime still prepares (a Pod being scheduled) is looked at again after the poll
   * interval, or at the deadline if sooner, unless its change event comes first; anything else is
   * looked at again at once.
   */
  public static Action afterCreate(
      Observation obs, Instant now, Instant deadlineAt, LifecyclePolicy policy) {
    if (obs.state() == MachineState.RUNNING || obs.state() == MachineState.EXITED) {
      return new Action.RecordRunning(obs.startedAt() != null ? obs.startedAt() : now);
    }
    if (obs.state() == MachineState.STARTING) {
      Instant next = now.plus(policy.poll());
      return new Action.Wait(next.isBefore(deadlineAt) ? next : deadlineAt);
    }
    return new Action.Wait(now);
  }

  /**
   * When a session adopted from a Session resource (applied with kubectl) counts as created: the
   * resource's creation time, unless that lies more than {@link #ADOPTION_SLACK} in the past (it
   * was applied while no operator ran) or is unknown; then now, so that it still gets its whole
   * deadline.
   */
  public static Instant adoptedCreation(Instant resourceCreated, Instant now) {
    if (resourceCreated == null || resourceCreated.isBefore(now.minus(ADOPTION_SLACK))) {
      return now;
    }
    return resourceCreated;
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
          SessionPhase.KILLED, ExitCodes.KILLED, "deadline exceeded before the command started");
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
