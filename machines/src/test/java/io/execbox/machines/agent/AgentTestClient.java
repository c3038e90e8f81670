package io.execbox.machines.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.execbox.machines.StreamKind;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/** A test's connection to an agent, over a plain socket with {@link AgentFrames}. */
final class AgentTestClient implements AutoCloseable {
  static final Duration READ_TIMEOUT = Duration.ofSeconds(30);

  final Socket socket;
  private final InputStream in;
  private final OutputStream out;
  AgentFrames.Welcome welcome;

  private AgentTestClient(Socket socket) throws IOException {
    this.socket = socket;
    this.in = new BufferedInputStream(socket.getInputStream(), 256 * 1024);
    this.out = socket.getOutputStream();
    socket.setSoTimeout((int) READ_TIMEOUT.toMillis());
  }

  static AgentTestClient open(InetAddress address, int port) throws IOException {
    Socket s = new Socket();
    s.connect(new InetSocketAddress(address, port), 5000);
    s.setTcpNoDelay(true);
    return new AgentTestClient(s);
  }

  void send(int type, byte[] payload) throws IOException {
    AgentFrames.write(out, type, AgentFrames.COMMAND, payload);
  }

  void hello(String secret) throws IOException {
    send(AgentFrames.HELLO, AgentFrames.hello(secret.getBytes(StandardCharsets.UTF_8)));
  }

  void welcome() throws IOException {
    AgentFrame f = next();
    assertThat(f).as("the agent's answer to HELLO").isNotNull();
    assertThat(f.type()).as("the first frame").isEqualTo(AgentFrames.WELCOME);
    welcome = AgentFrames.welcome(f.payload());
    assertThat(welcome.version()).isEqualTo(1);
  }

  void resume(long offset) throws IOException {
    send(AgentFrames.RESUME, AgentFrames.resume(offset));
  }

  void ack(long offset) throws IOException {
    send(AgentFrames.ACK, AgentFrames.ack(offset));
  }

  void stdin(byte[] data) throws IOException {
    send(AgentFrames.STDIN, AgentFrames.stdin(data, 0, data.length));
  }

  void closeStdin() throws IOException {
    send(AgentFrames.STDIN_CLOSE, new byte[0]);
  }

  void signal(int signal) throws IOException {
    send(AgentFrames.SIGNAL, AgentFrames.signal(signal));
  }

  /** The next frame, or null once the agent closed the connection (also by a reset). */
  AgentFrame next() throws IOException {
    try {
      return AgentFrames.read(in);
    } catch (SocketException reset) {
      return null;
    }
  }

  /** The next frame if one comes within {@code d}; else null (and the connection is spoilt). */
  AgentFrame nextWithin(Duration d) throws IOException {
    socket.setSoTimeout((int) d.toMillis());
    try {
      return AgentFrames.read(in);
    } catch (SocketTimeoutException quiet) {
      return null;
    } finally {
      socket.setSoTimeout((int) READ_TIMEOUT.toMillis());
    }
  }

  /** True if the agent closes the connection without another frame. */
  boolean closedByAgent() throws IOException {
    return next() == null;
  }

  /** Reads until EXIT, checking the output as it comes (see {@link Received}). */
  Received readToExit(long from, boolean ack) throws IOException {
    return readToExit(from, ack, true);
  }

  /**
   * As {@link #readToExit(long, boolean)}; {@code keep} false keeps only the hash of the output.
   */
  Received readToExit(long from, boolean ack, boolean keep) throws IOException {
    Received r = new Received(from);
    r.keep = keep;
    long acked = from;
    while (r.exit == null) {
      AgentFrame f = next();
      if (f == null) {
        throw new EOFException("the agent closed the connection before EXIT: " + r);
      }
      r.take(f);
      if (ack && r.next - acked >= 256 * 1024) {
        ack(r.next);
        acked = r.next;
      }
    }
    if (ack) {
      ack(r.exit.end());
    }
    return r;
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }

  static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * What one connection received, checked as it came: OUTPUT offsets follow each other from the
   * RESUME's offset without a gap or an overlap, and EXIT's end offset is where they stopped.
   */
  static final class Received {
    final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    final ByteArrayOutputStream stderr = new ByteArrayOutputStream();

    /** The output as runs of one stream: "1:text" or "2:text". */
    final List<String> runs = new ArrayList<>();

    final List<String> errors = new ArrayList<>();
    final MessageDigest all = sha256();
    long next;
    long taken = -1;
    AgentFrames.Exit exit;
    boolean keep = true;

    Received(long from) {
      next = from;
    }

    void take(AgentFrame f) throws IOException {
      switch (f.type()) {
        case AgentFrames.OUTPUT -> {
          AgentFrames.Output o = AgentFrames.output(f.payload());
          assertThat(exit).as("output after EXIT").isNull();
          assertThat(o.offset()).as("the offset of the next OUTPUT").isEqualTo(next);
          next = o.end();
          all.update(o.data());
          if (keep) {
            (o.stream() == StreamKind.STDOUT ? stdout : stderr).writeBytes(o.data());
            String stream = o.stream() == StreamKind.STDOUT ? "1:" : "2:";
            String text = new String(o.data(), StandardCharsets.UTF_8);
            int last = runs.size() - 1;
            if (last >= 0 && runs.get(last).startsWith(stream)) {
              runs.set(last, runs.get(last) + text);
            } else {
              runs.add(stream + text);
            }
          }
        }
        case AgentFrames.EXIT -> {
          exit = AgentFrames.exit(f.payload());
          assertThat(exit.end()).as("EXIT's end offset").isEqualTo(next);
        }
        case AgentFrames.STDIN_TAKEN -> taken = AgentFrames.stdinTaken(f.payload());
        case AgentFrames.ERROR -> errors.add(AgentFrames.error(f.payload()));
        default -> fail("unexpected frame " + f);
      }
    }

    String stdoutText() {
      return stdout.toString(StandardCharsets.UTF_8);
    }

    String stderrText() {
      return stderr.toString(StandardCharsets.UTF_8);
    }

    String hash() {
      return HexFormat.of().formatHex(all.digest());
    }

    @Override
    public String toString() {
      return "received up to " + next + ", exit " + exit + ", errors " + errors;
    }
  }
}
