package io.execbox.machines;

import java.time.Duration;

/**
 * The stdio of a session's machine. This is the seam the in-machine agent will plug into: whatever
 * carries the bytes, the caller sees ordered stdout/stderr chunks, a stdin with half-close, and an
 * exit code.
 */
public interface MachineIo {
  /**
   * Attaches to a created machine before its command starts, so that every output byte from the
   * first one reaches {@code sink}. Returns once attached; output then flows on an I/O thread.
   */
  IoChannel attach(MachineRef ref, OutputSink sink);

  /**
   * Replays everything the machine has written since it started and follows it until it exits, for
   * a server that did not hold the attach from the start (after a restart). Stdin is connected when
   * the runtime allows; otherwise {@link IoChannel#stdinOpen()} is false.
   */
  IoChannel replay(MachineRef ref, OutputSink sink);

  /**
   * Blocks until the machine's command has exited and returns its exit code; throws {@link
   * MachineException} if it has not exited within {@code timeout} or the machine is gone.
   */
  int awaitExit(MachineRef ref, Duration timeout);
}
