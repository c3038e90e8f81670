package io.execbox.machines;

/** A machine as the backend reports it, reduced to what the lifecycle needs. */
public enum MachineState {
  /** No machine exists for the session. */
  ABSENT,
  /**
   * The runtime is still preparing the machine (scheduling, pulling, creating the container): it
   * cannot be attached or started yet.
   */
  STARTING,
  /** Created, its command not started yet. */
  CREATED,
  /** The command runs. */
  RUNNING,
  /** The command ended; the exit code is known. */
  EXITED,
  /** The machine cannot run (for example its image cannot be had); the reason says why. */
  BROKEN
}
