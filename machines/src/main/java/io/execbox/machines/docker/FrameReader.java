package io.execbox.machines.docker;

import io.execbox.machines.StreamKind;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * Splits the Engine API's multiplexed stream (attach and logs of a container without a TTY): each
 * frame is an 8-byte header {@code [stream, 0, 0, 0, length u32 big-endian]} and its payload. A
 * long frame is handed out in slices so that memory stays bounded.
 */
final class FrameReader {
  static final int MAX_SLICE = 256 * 1024;

  /** One slice of output. */
  record Frame(StreamKind kind, byte[] data) {}

  private final InputStream in;
  private final byte[] header = new byte[8];
  private StreamKind kind;
  private long remaining;
  private boolean truncated;

  FrameReader(InputStream in) {
    this.in = in;
  }

  /** The next slice, or null at end of stream between frames. */
  Frame next() throws IOException {
    if (truncated) {
      throw new EOFException("output stream ended inside a frame");
    }
    while (remaining == 0) {
      if (!readHeader()) {
        return null;
      }
    }
    int want = (int) Math.min(remaining, MAX_SLICE);
    byte[] data = in.readNBytes(want);
    remaining -= data.length;
    if (data.length < want) {
      // What did arrive is real output: hand it out, and fail on the next call.
      truncated = true;
      if (data.length == 0) {
        throw new EOFException("output stream ended inside a frame");
      }
    }
    return new Frame(kind, data);
  }

  private boolean readHeader() throws IOException {
    int n = in.readNBytes(header, 0, 8);
    if (n == 0) {
      return false;
    }
    if (n < 8) {
      throw new EOFException("output stream ended inside a frame header");
    }
    long length =
        ((header[4] & 0xffL) << 24)
            | ((header[5] & 0xffL) << 16)
            | ((header[6] & 0xffL) << 8)
            | (header[7] & 0xffL);
    switch (header[0]) {
      // Type 0 is stdin echoed on stdout, by the API's own definition.
      case 0, 1 -> kind = StreamKind.STDOUT;
      case 2 -> kind = StreamKind.STDERR;
      case 3 -> {
        // Docker's "system error" frame: its payload is the runtime's message.
        byte[] msg = in.readNBytes((int) Math.min(length, 4096));
        throw new IOException(
            "the container runtime reported: " + new String(msg, StandardCharsets.UTF_8));
      }
      default -> throw new IOException("unknown stream type " + header[0] + " in output stream");
    }
    remaining = length;
    return true;
  }
}
