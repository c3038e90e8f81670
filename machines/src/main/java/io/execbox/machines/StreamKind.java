package io.execbox.machines;

/** Which output stream a chunk of bytes came from. */
public enum StreamKind {
  STDOUT,
  STDERR
}
