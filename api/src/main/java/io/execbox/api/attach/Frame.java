package io.execbox.api.attach;

/** One frame of the attach protocol of docs/API.md. */
public sealed interface Frame {
  byte STDIN = 0x01;
  byte STDOUT = 0x02;
  byte STDERR = 0x03;
  byte EXIT = 0x04;
  byte ERROR = 0x05;
  byte STDIN_CLOSE = 0x06;

  /** Client → server bytes for the command's stdin. */
  record Stdin(byte[] data) implements Frame {}

  /** Client → server: end of stdin. */
  record StdinClose() implements Frame {}
}
