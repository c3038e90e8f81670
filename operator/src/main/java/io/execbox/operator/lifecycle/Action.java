package io.execbox.operator.lifecycle;

import io.execbox.crds.SessionPhase;
import java.time.Instant;

/** The one next step for a session, decided by {@link Lifecycle#decide}. */
public sealed interface Action {
  /** Create the machine, attach to it, start its command. */
  record CreateMachine() implements Action {}

  /** The machine exists but its command has not started: attach and start it. */
  record StartMachine() implements Action {}

  /** The command runs: record {@code running} and when it started. */
  record RecordRunning(Instant startedAt) implements Action {}

  /** Stop was asked: send SIGTERM and remember when. */
  record SendTerm() implements Action {}

  /** Kill the command now (SIGKILL); {@code reason} is for logs and events. */
  record Kill(String reason) implements Action {}

  /** The deadline passed while active: kill, record {@code killed} with exit code 137. */
  record DeadlineKill() implements Action {}

  /**
   * The command ended: record {@code status} (unchanged if already terminal), its exit code and
   * reason.
   */
  record RecordEnd(SessionPhase status, Integer exitCode, String reason) implements Action {}

  /** The session cannot run: record {@code failed} with the reason. */
  record Fail(String reason) implements Action {}

  /** Keep the output, remove the machine, record usage: the session is done. */
  record ArchiveAndDestroy() implements Action {}

  /** Nothing is left to do for this session. */
  record Done() implements Action {}

  /** Nothing to do until {@code until} (or an event). */
  record Wait(Instant until) implements Action {}
}
