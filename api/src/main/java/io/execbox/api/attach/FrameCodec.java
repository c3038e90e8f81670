package io.execbox.api.attach;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Encodes server frames and decodes client frames of docs/API.md: one frame per binary WebSocket
 * message, big-endian u32 lengths.
 */
public final class FrameCodec {
  /** Largest payload of a data frame: 16 MiB − 1. */
  public static final int MAX_DATA = (16 << 20) - 1;

  /** Largest UTF-8 text of an error frame. */
  public static final int MAX_ERROR_TEXT = 1024;

  private FrameCodec() {}

  /** Why a client message is not a valid frame, and the close code it earns. */
  public static final class ProtocolException extends Exception {
    private final int closeCode;

    public ProtocolException(int closeCode, String message) {
      super(message);
      this.closeCode = closeCode;
    }

    /** 1003 (unsupported data) or 1007 (inconsistent data). */
    public int closeCode() {
      return closeCode;
    }
  }

  /** Decodes one client message. */
  public static Frame decode(ByteBuffer msg) throws ProtocolException {
    if (!msg.hasRemaining()) {
      throw new ProtocolException(1007, "empty frame");
    }
    byte type = msg.get(msg.position());
    int size = msg.remaining();
    switch (type) {
      case Frame.STDIN -> {
        if (size < 5) {
          throw new ProtocolException(1007, "stdin frame shorter than its 5-byte header");
        }
        long len = Integer.toUnsignedLong(msg.getInt(msg.position() + 1));
        if (len > MAX_DATA) {
          throw new ProtocolException(1007, "stdin frame longer than 16 MiB - 1");
        }
        if (len != size - 5) {
          throw new ProtocolException(
              1007,
              "stdin frame length field says " + len + " but carries " + (size - 5) + " bytes");
        }
        byte[] data = new byte[(int) len];
        msg.duplicate().position(msg.position() + 5).get(data);
        return new Frame.Stdin(data);
      }
      case Frame.STDIN_CLOSE -> {
        if (size != 1) {
          throw new ProtocolException(1007, "stdin-close frame must be exactly 1 byte");
        }
        return new Frame.StdinClose();
      }
      case Frame.STDOUT, Frame.STDERR, Frame.EXIT, Frame.ERROR ->
          throw new ProtocolException(
              1003, String.format("frame type 0x%02x is sent by the server only", type));
      default ->
          throw new ProtocolException(1003, String.format("unknown frame type 0x%02x", type));
    }
  }

  /** A stdout (0x02) or stderr (0x03) frame around {@code len} bytes of {@code data}. */
  public static byte[] data(byte type, byte[] data, int off, int len) {
    byte[] f = new byte[5 + len];
    f[0] = type;
    putInt(f, 1, len);
    System.arraycopy(data, off, f, 5, len);
    return f;
  }

  /** The exit frame: exactly 5 bytes. */
  public static byte[] exit(int code) {
    byte[] f = new byte[5];
    f[0] = Frame.EXIT;
    putInt(f, 1, code);
    return f;
  }

  /** An error frame; the text is cut to 1024 bytes on a character boundary. */
  public static byte[] error(String text) {
    byte[] t = truncate(text, MAX_ERROR_TEXT);
    byte[] f = new byte[5 + t.length];
    f[0] = Frame.ERROR;
    putInt(f, 1, t.length);
    System.arraycopy(t, 0, f, 5, t.length);
    return f;
  }

  /** A stdin frame (for clients and tests). */
  public static byte[] stdin(byte[] data) {
    return data(Frame.STDIN, data, 0, data.length);
  }

  private static byte[] truncate(String text, int max) {
    byte[] b = text.getBytes(StandardCharsets.UTF_8);
    if (b.length <= max) {
      return b;
    }
    int end = max;
    while (end > 0 && (b[end] & 0xC0) == 0x80) {
      end--;
    }
    byte[] out = new byte[end];
    System.arraycopy(b, 0, out, 0, end);
    return out;
  }

  private static void putInt(byte[] f, int at, int v) {
    f[at] = (byte) (v >>> 24);
    f[at + 1] = (byte) (v >>> 16);
    f[at + 2] = (byte) (v >>> 8);
    f[at + 3] = (byte) v;
  }
}
