package io.execbox.machines.docker;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;

/** Decodes an HTTP/1.1 chunked body; end of stream is the zero-length chunk. */
final class ChunkedInputStream extends InputStream {
  private static final int MAX_LINE = 8 * 1024;

  private final InputStream in;
  private long remaining;
  private boolean started;
  private boolean done;

  ChunkedInputStream(InputStream in) {
    this.in = in;
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    int n = read(one, 0, 1);
    return n < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    if (done) {
      return -1;
    }
    if (len == 0) {
      return 0;
    }
    if (remaining == 0) {
      nextChunk();
      if (done) {
        return -1;
      }
    }
    int n = in.read(b, off, (int) Math.min(len, remaining));
    if (n < 0) {
      throw new EOFException("chunked body ended in the middle of a chunk");
    }
    remaining -= n;
    return n;
  }

  @Override
  public int available() throws IOException {
    return done ? 0 : (int) Math.min(remaining, in.available());
  }

  private void nextChunk() throws IOException {
    if (started) {
      String end = HttpLines.readLine(in, MAX_LINE);
      if (end == null) {
        throw new EOFException("chunked body ended after a chunk");
      }
      if (!end.isEmpty()) {
        throw new IOException("chunk not followed by CRLF");
      }
    }
    started = true;
    String line = HttpLines.readLine(in, MAX_LINE);
    if (line == null) {
      throw new EOFException("chunked body ended before its last chunk");
    }
    long size = parseSize(line);
    if (size == 0) {
      // Trailers, then the empty line; a server that closes right after the last chunk is fine.
      String trailer;
      do {
        trailer = HttpLines.readLine(in, MAX_LINE);
      } while (trailer != null && !trailer.isEmpty());
      done = true;
    }
    remaining = size;
  }

  static long parseSize(String line) throws IOException {
    int semi = line.indexOf(';');
    String hex = (semi >= 0 ? line.substring(0, semi) : line).strip();
    if (hex.isEmpty() || hex.length() > 15) {
      throw new IOException("bad chunk size line: " + line);
    }
    try {
      return Long.parseLong(hex, 16);
    } catch (NumberFormatException e) {
      throw new IOException("bad chunk size line: " + line, e);
    }
  }
}
