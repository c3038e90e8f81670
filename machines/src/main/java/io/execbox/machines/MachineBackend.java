package io.execbox.machines;

import java.util.List;

/**
 * Drives machines on one runtime. Every method is blocking, idempotent, and safe to call from
 * several threads; callers run it off the event loop. Failures are {@link MachineException}s.
 */
public interface MachineBackend {
  /** The backend's name: docker, kubernetes or fly. */
  String name();

  /** Checks that the runtime answers; throws {@link MachineException} (UNAVAILABLE) when not. */
  void ping();

  /**
   * Creates the session's machine without starting its command, with the labels of {@link
   * io.execbox.crds.Labels}, its limits, env, workDir, network and files in place. If the machine
   * already exists it is returned as it is.
   */
  MachineRef create(MachineSpec spec);

  /** Starts the command of a created machine. Starting a running or exited machine does nothing. */
  void start(MachineRef ref);

  /** Observes the session's machine, {@link Observation#absent()} when there is none. */
  Observation observe(String sessionId);

  /**
   * Asks the command to stop (SIGTERM) and returns without waiting; the lifecycle kills it after
   * the grace period if it is still running.
   */
  void stop(MachineRef ref);

  /** Kills the command now (SIGKILL). */
  void kill(MachineRef ref);

  /** Removes the session's machine and everything it holds; no-op when absent. */
  void destroy(String sessionId);

  /**
   * CPU seconds the machine's command has used so far, or null when the runtime does not say (most
   * runtimes report it only while the command runs).
   */
  default Double cpuSeconds(MachineRef ref) {
    return null;
  }

  /** Every machine carrying the managed label. */
  List<MachineSummary> list();
}
