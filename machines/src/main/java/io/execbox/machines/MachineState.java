package io.execbox.machines;

/** A machine as the backend reports it, reduced to what the lifecycle needs. */
public enum MachineState {
  /** No machine exists for the session. */
  ABSENT,
  /** Created, its command not started yet. */
  CREATED,
  /** The command runs. */
  RUNNING,
  /** The command ended; the exit code is known. */
  EXITED,
  /** The machine cannot run (for example its image cannot be had); the reason says why. */
  BROKEN
}
