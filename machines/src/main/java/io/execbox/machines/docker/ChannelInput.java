package io.execbox.machines.docker;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;

/**
 * A buffered stream that reads the channel directly. {@code Channels.newInputStream} is not used
 * because in Java 17 it holds the channel's blocking lock while a read blocks, which would stall
 * every stdin write behind a read that waits for output.
 */
final class ChannelInput extends InputStream {
  private final ReadableByteChannel channel;
  private final ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);

  ChannelInput(ReadableByteChannel channel) {
    this.channel = channel;
    buffer.flip();
  }

  @Override
  public int read() throws IOException {
    if (!buffer.hasRemaining() && !fill()) {
      return -1;
    }
    return buffer.get() & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    if (len == 0) {
      return 0;
    }
    if (!buffer.hasRemaining()) {
      if (len >= buffer.capacity()) {
        return readDirect(ByteBuffer.wrap(b, off, len));
      }
      if (!fill()) {
        return -1;
      }
    }
    int n = Math.min(len, buffer.remaining());
    buffer.get(b, off, n);
    return n;
  }

  @Override
  public int available() {
    return buffer.remaining();
  }

  private int readDirect(ByteBuffer target) throws IOException {
    int n;
    do {
      n = channel.read(target);
    } while (n == 0);
    return n;
  }

  private boolean fill() throws IOException {
    buffer.clear();
    int n;
    try {
      do {
        n = channel.read(buffer);
      } while (n == 0);
    } finally {
      buffer.flip();
    }
    return n > 0;
  }
}
