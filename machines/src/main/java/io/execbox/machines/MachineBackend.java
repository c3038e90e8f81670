package io.execbox.machines;

import java.util.List;
import java.util.function.Consumer;

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

  /**
   * Whether a machine can be attached and started as soon as {@link #create} returns. When not (a
   * Pod still being scheduled), {@link #observe} reports {@link MachineState#STARTING} until it
   * can, and {@link #onChange} announces the change.
   */
  default boolean attachableOnCreate() {
    return true;
  }

  /**
   * Calls {@code listener} with a session's id whenever the runtime reports that its machine
   * changed, so that the control loop looks at it now rather than at its next poll. Backends
   * without change events never call it.
   */
  default void onChange(Consumer<String> listener) {}

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

  /**
   * Whether a process that did not start the session's machine can take its stdio over while it
   * runs and lose nothing (the in-machine agent keeps the output until it is acknowledged), so that
   * a restarted operator reconnects to it at once rather than at its end.
   */
  default boolean resumable(MachineRef ref) {
    return false;
  }

  /** Every machine carrying the managed label. */
  List<MachineSummary> list();
}
