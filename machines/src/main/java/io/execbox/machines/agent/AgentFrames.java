package io.execbox.machines.agent;

import io.execbox.machines.StreamKind;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The wire format of execbox-agent (docs/AGENT.md): every frame, in both directions, is {@code type
 * u8 | channel u32 | length u32 | payload}, big-endian, with at most {@link #MAX_PAYLOAD} bytes of
 * payload. Writes and reads whole frames and builds and parses each type's payload; it keeps no
 * state, and what it reads or writes goes to the stream it is given and nowhere else.
 *
 * <p>The protocol's rules (the order of frames, acknowledgements, the stdin window) are the
 * caller's: this class only checks that each frame and payload is well formed.
 */
public final class AgentFrames {
  /** The protocol version this codec speaks, in HELLO and WELCOME. */
  public static final int VERSION = 1;

  /** Bytes of a frame's header. */
  public static final int HEADER = 9;

  /** The most payload any frame may carry. */
  public static final int MAX_PAYLOAD = 1 << 20;

  /** The most bytes of one STDIN frame, and of output in one OUTPUT frame. */
  public static final int MAX_CHUNK = 64 * 1024;

  /** Stdin bytes of a channel that may be sent and not yet reported taken by STDIN_TAKEN. */
  public static final long STDIN_WINDOW = 1 << 20;

  /** The agent's connections at once; a further one is closed at once. */
  public static final int MAX_CONNECTIONS = 8;

  /** The channel of the session's command. */
  public static final int COMMAND = 0;

  /** Control plane to agent: version u16, then the secret's bytes; the first frame. */
  public static final int HELLO = 0x01;

  /** Control plane to agent: offset u64, send this channel's output from there on. */
  public static final int RESUME = 0x02;

  /** Control plane to agent: offset u64, the output below it is held and need not be kept. */
  public static final int ACK = 0x03;

  /** Control plane to agent: bytes for the process's stdin, at most {@link #MAX_CHUNK}. */
  public static final int STDIN = 0x04;

  /** Control plane to agent: no payload, end of file on stdin after everything sent before it. */
  public static final int STDIN_CLOSE = 0x05;

  /** Control plane to agent: signal number u8, sent to the channel's process. */
  public static final int SIGNAL = 0x06;

  /** Agent to control plane: version u16, then the command's pid u32 (0 if it did not start). */
  public static final int WELCOME = 0x81;

  /** Agent to control plane: offset u64, stream u8 (1 stdout, 2 stderr), then the bytes. */
  public static final int OUTPUT = 0x82;

  /** Agent to control plane: end offset u64 and exit code i32 (128 + signal if killed by one). */
  public static final int EXIT = 0x83;

  /** Agent to control plane: total u64, the channel's stdin bytes written to the process. */
  public static final int STDIN_TAKEN = 0x84;

  /** Agent to control plane: UTF-8 text, a request that could not be done. */
  public static final int ERROR = 0x85;

  /** A WELCOME's payload. */
  public record Welcome(int version, long pid, long stdinReceived, boolean stdinClosed) {
    public Welcome(int version, long pid) {
      this(version, pid, -1, false);
    }

    /** Whether the agent said how much stdin it has (a 6-byte WELCOME does not). */
    public boolean knowsStdin() {
      return stdinReceived >= 0;
    }
  }

  /** An OUTPUT's payload: {@code data} are the channel's bytes from {@code offset} on. */
  public record Output(long offset, StreamKind stream, byte[] data) {
    /** The offset after these bytes. */
    public long end() {
      return offset + data.length;
    }

    /** These bytes from {@code expected} on: the same when they begin there or later. */
    public Output from(long expected) {
      if (offset >= expected) {
        return this;
      }
      int skip = (int) Math.min(data.length, expected - offset);
      return new Output(offset + skip, stream, Arrays.copyOfRange(data, skip, data.length));
    }
  }

  /**
   * An EXIT's payload: the channel's total output, the exit code, and whether the kernel's OOM
   * killer ended a process of the command's while it ran (flags bit 0; absent in a 12-byte EXIT).
   */
  public record Exit(long end, int code, boolean oomKilled) {
    public Exit(long end, int code) {
      this(end, code, false);
    }
  }

  /** EXIT flags: the OOM killer ended a process of the command's. */
  static final int EXIT_OOM_KILLED = 1;

  private AgentFrames() {}

  /** A frame's bytes, header and payload, as {@link #write} sends them. */
  public static byte[] encode(int type, int channel, byte[] payload) {
    if (type < 0 || type > 0xff) {
      throw new IllegalArgumentException("frame type out of range: " + type);
    }
    if (payload.length > MAX_PAYLOAD) {
      throw new IllegalArgumentException("frame payload over 1 MiB: " + payload.length);
    }
    return ByteBuffer.allocate(HEADER + payload.length)
        .put((byte) type)
        .putInt(channel)
        .putInt(payload.length)
        .put(payload)
        .array();
  }

  /** Writes one frame in a single write; flushing is the caller's. */
  public static void write(OutputStream out, int type, int channel, byte[] payload)
      throws IOException {
    out.write(encode(type, channel, payload));
  }

  /**
   * Reads one frame; null if the stream ends between frames.
   *
   * @throws EOFException if the stream ends inside a frame
   * @throws IOException if the frame announces more than {@link #MAX_PAYLOAD} bytes
   */
  public static AgentFrame read(InputStream in) throws IOException {
    byte[] header = new byte[HEADER];
    int n = in.readNBytes(header, 0, HEADER);
    if (n == 0) {
      return null;
    }
    if (n < HEADER) {
      throw new EOFException("agent stream ended inside a frame header");
    }
    ByteBuffer h = ByteBuffer.wrap(header);
    int type = h.get() & 0xff;
    int channel = h.getInt();
    long length = Integer.toUnsignedLong(h.getInt());
    if (length > MAX_PAYLOAD) {
      throw new IOException(name(type) + " frame announces " + length + " bytes, over 1 MiB");
    }
    byte[] payload = in.readNBytes((int) length);
    if (payload.length < length) {
      throw new EOFException("agent stream ended inside a " + name(type) + " frame");
    }
    return new AgentFrame(type, channel, payload);
  }

  /** HELLO's payload: the protocol version and the session's secret. */
  public static byte[] hello(byte[] secret) {
    return ByteBuffer.allocate(2 + secret.length).putShort((short) VERSION).put(secret).array();
  }

  /** RESUME's payload. */
  public static byte[] resume(long offset) {
    return offset(offset);
  }

  /** ACK's payload. */
  public static byte[] ack(long offset) {
    return offset(offset);
  }

  /** STDIN's payload: a copy of {@code length} bytes of {@code data} from {@code from}. */
  public static byte[] stdin(byte[] data, int from, int length) {
    if (length > MAX_CHUNK) {
      throw new IllegalArgumentException("STDIN carries at most 64 KiB, not " + length);
    }
    return Arrays.copyOfRange(data, from, Math.addExact(from, length));
  }

  /** SIGNAL's payload. */
  public static byte[] signal(int signal) {
    if (signal < 1 || signal > 0xff) {
      throw new IllegalArgumentException("not a signal number: " + signal);
    }
    return new byte[] {(byte) signal};
  }

  /** Parses a WELCOME's payload. */
  public static Welcome welcome(byte[] payload) throws IOException {
    if (payload.length != 6 && payload.length != 15) {
      throw malformed(WELCOME, payload);
    }
    ByteBuffer b = ByteBuffer.wrap(payload);
    int version = b.getShort() & 0xffff;
    long pid = Integer.toUnsignedLong(b.getInt());
    if (!b.hasRemaining()) {
      return new Welcome(version, pid);
    }
    long received = b.getLong();
    if (received < 0) {
      throw new IOException("WELCOME with stdin received beyond 2^63");
    }
    return new Welcome(version, pid, received, b.get() != 0);
  }

  /** Parses an OUTPUT's payload; its bytes are copied out. */
  public static Output output(byte[] payload) throws IOException {
    if (payload.length < 9 || payload.length > 9 + MAX_CHUNK) {
      throw malformed(OUTPUT, payload);
    }
    ByteBuffer b = ByteBuffer.wrap(payload);
    long offset = b.getLong();
    StreamKind stream =
        switch (b.get()) {
          case 1 -> StreamKind.STDOUT;
          case 2 -> StreamKind.STDERR;
          default -> throw new IOException("OUTPUT of unknown stream " + payload[8]);
        };
    if (offset < 0) {
      throw new IOException("OUTPUT at offset beyond 2^63: " + Long.toUnsignedString(offset));
    }
    return new Output(offset, stream, Arrays.copyOfRange(payload, 9, payload.length));
  }

  /** Parses an EXIT's payload. */
  public static Exit exit(byte[] payload) throws IOException {
    if (payload.length != 12 && payload.length != 13) {
      throw malformed(EXIT, payload);
    }
    ByteBuffer b = ByteBuffer.wrap(payload);
    long end = b.getLong();
    int code = b.getInt();
    boolean oom = b.hasRemaining() && (b.get() & EXIT_OOM_KILLED) != 0;
    return new Exit(end, code, oom);
  }

  /** Parses a STDIN_TAKEN's payload: the total stdin bytes written to the process. */
  public static long stdinTaken(byte[] payload) throws IOException {
    expect(STDIN_TAKEN, payload, 8);
    return ByteBuffer.wrap(payload).getLong();
  }

  /** Parses an ERROR's payload. */
  public static String error(byte[] payload) {
    return new String(payload, StandardCharsets.UTF_8);
  }

  /** A frame type's name for messages, e.g. {@code EXIT} or {@code 0x7f}. */
  public static String name(int type) {
    return switch (type) {
      case HELLO -> "HELLO";
      case RESUME -> "RESUME";
      case ACK -> "ACK";
      case STDIN -> "STDIN";
      case STDIN_CLOSE -> "STDIN_CLOSE";
      case SIGNAL -> "SIGNAL";
      case WELCOME -> "WELCOME";
      case OUTPUT -> "OUTPUT";
      case EXIT -> "EXIT";
      case STDIN_TAKEN -> "STDIN_TAKEN";
      case ERROR -> "ERROR";
      default -> String.format("0x%02x", type);
    };
  }

  private static byte[] offset(long offset) {
    if (offset < 0) {
      throw new IllegalArgumentException("negative offset: " + offset);
    }
    return ByteBuffer.allocate(8).putLong(offset).array();
  }

  private static void expect(int type, byte[] payload, int length) throws IOException {
    if (payload.length != length) {
      throw malformed(type, payload);
    }
  }

  private static IOException malformed(int type, byte[] payload) {
    return new IOException("malformed " + name(type) + ": " + payload.length + " bytes of payload");
  }
}
