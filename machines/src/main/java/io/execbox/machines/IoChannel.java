package io.execbox.machines;

import java.io.IOException;

/** The stdin side of an open machine stream; the output side goes to an {@link OutputSink}. */
public interface IoChannel extends AutoCloseable {
  /** Writes bytes to the command's stdin; blocks while the runtime applies back-pressure. */
  void writeStdin(byte[] data) throws IOException;

  /** Ends the command's stdin (half-close); later writes fail. Idempotent. */
  void closeStdin() throws IOException;

  /** Whether stdin can still be written. */
  boolean stdinOpen();

  /** Drops the connection to the runtime; the sink gets its end if it has not yet. */
  @Override
  void close();
}
