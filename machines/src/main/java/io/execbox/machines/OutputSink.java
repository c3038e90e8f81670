package io.execbox.machines;

/**
 * Receives a machine's output, in order, on an I/O thread of the backend. Implementations must not
 * block for long: they append to a journal and return.
 */
public interface OutputSink {
  /** A chunk of output; the array is owned by the sink from now on. */
  void onOutput(StreamKind kind, byte[] data);

  /**
   * {@code bytes} of output at this point were lost before they reached this sink (the machine
   * could no longer give them); the next output follows them. Readers are told how many.
   */
  default void onSkipped(long bytes) {}

  /**
   * The output ended: the command exited ({@code error} null) or the connection to the runtime
   * broke. Called exactly once.
   */
  void onEnd(Throwable error);
}
