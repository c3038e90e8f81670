package io.execbox.machines;

/**
 * Receives a machine's output, in order, on an I/O thread of the backend. Implementations must not
 * block for long: they append to a journal and return.
 */
public interface OutputSink {
  /** A chunk of output; the array is owned by the sink from now on. */
  void onOutput(StreamKind kind, byte[] data);

  /**
   * The output ended: the command exited ({@code error} null) or the connection to the runtime
   * broke. Called exactly once.
   */
  void onEnd(Throwable error);
}
