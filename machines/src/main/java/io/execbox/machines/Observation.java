package io.execbox.machines;

import java.time.Instant;
import java.util.List;

/**
 * What a backend observes of a session's machine at one moment.
 *
 * @param state the reduced state
 * @param ref the machine, null when absent
 * @param exitCode set when exited
 * @param oomKilled the runtime killed it for exceeding its memory limit
 * @param reason why it is broken, or the runtime's word on its exit
 * @param startedAt when the command started, if it did
 * @param finishedAt when it ended, if it did
 * @param ports published ports, empty unless exposed
 */
public record Observation(
    MachineState state,
    MachineRef ref,
    Integer exitCode,
    boolean oomKilled,
    String reason,
    Instant startedAt,
    Instant finishedAt,
    List<PublishedPort> ports) {

  /** This observation, with {@code startedAt} set when the runtime did not say. */
  public Observation startedNoLaterThan(Instant at) {
    if (startedAt != null || at == null) {
      return this;
    }
    return new Observation(state, ref, exitCode, oomKilled, reason, at, finishedAt, ports);
  }

  public static Observation absent() {
    return new Observation(MachineState.ABSENT, null, null, false, null, null, null, List.of());
  }
}
