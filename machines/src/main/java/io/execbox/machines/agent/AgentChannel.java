package io.execbox.machines.agent;

import io.execbox.machines.IoChannel;
import io.execbox.machines.OutputSink;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A session's stdio through its in-machine agent (docs/AGENT.md): output from the agent's first
 * byte, stdout and stderr apart, acknowledged once it is in the sink, so that the agent may let it
 * go; stdin within the agent's window, with a real end of file; signals; and the exit code, which
 * arrives after the last output. A connection that breaks before the exit is dialled again and
 * resumed from the next byte expected, so every byte reaches the sink exactly once; bytes the agent
 * no longer kept are reported to the sink as skipped, never silently.
 */
public final class AgentChannel implements IoChannel {
  private static final Logger log = LoggerFactory.getLogger(AgentChannel.class);

  /** The session's own command. */
  static final int MAIN = 0;

  /** Stdin the agent may hold unwritten (AGENT.md). */
  static final long STDIN_WINDOW = 1L << 20;

  /** Largest STDIN frame. */
  static final int STDIN_FRAME = 64 << 10;

  /** Output delivered and not yet acknowledged before an ACK goes out anyway. */
  private static final long ACK_EVERY = 256 << 10;

  /** How long a connection stays open after the exit, for the agent to take the last ACK. */
  private static final Duration LINGER = Duration.ofSeconds(10);

  private final String sessionId;
  private final AgentTransport.Dialer dialer;
  private final byte[] secret;
  private final OutputSink sink;
  private final Executor executor;
  private final ScheduledExecutorService timers;
  private final BooleanSupplier machineAlive;
  private final Consumer<AgentFrames.Exit> onExit;
  private final Duration reconnectFor;
  private final CompletableFuture<Void> firstConnection = new CompletableFuture<>();

  // guarded by this
  private AgentTransport transport;
  private OutputStream out;
  private long next;
  private long acked;
  private final StdinLedger stdin = new StdinLedger();
  private boolean stdinClosed;
  private boolean stdinGone;
  private boolean closed;
  private boolean ended;
  private long lostSince;

  /**
   * @param dialer opens a connection to the agent
   * @param secret the session's agent secret
   * @param machineAlive whether the machine still exists and runs (false: stop redialling)
   * @param onExit told the exit (code, OOM kill), after the last output reached the sink and before
   *     its end
   * @param reconnectFor how long to keep redialling a lost agent while its machine is alive
   */
  public AgentChannel(
      String sessionId,
      AgentTransport.Dialer dialer,
      byte[] secret,
      OutputSink sink,
      Executor executor,
      ScheduledExecutorService timers,
      BooleanSupplier machineAlive,
      Consumer<AgentFrames.Exit> onExit,
      Duration reconnectFor) {
    this.sessionId = sessionId;
    this.dialer = dialer;
    this.secret = secret.clone();
    this.sink = sink;
    this.executor = executor;
    this.timers = timers;
    this.machineAlive = machineAlive;
    this.onExit = onExit;
    this.reconnectFor = reconnectFor;
  }

  /**
   * Connects for the first time, retrying while the agent is not listening yet, for at most {@code
   * timeout}; output then flows to the sink on the executor.
   */
  public AgentChannel connect(Duration timeout) throws IOException {
    synchronized (this) {
      lostSince = System.nanoTime();
    }
    executor.execute(() -> redial(0));
    try {
      AgentHandshake.await(firstConnection, timeout, sessionId);
      return this;
    } catch (IOException e) {
      close();
      throw e;
    }
  }

  /** Whether a connection to the agent is open now. */
  public synchronized boolean connected() {
    return out != null && !ended;
  }

  private void redial(int attempt) {
    synchronized (this) {
      if (closed || ended) {
        return;
      }
    }
    AgentTransport t = null;
    try {
      AgentHandshake.Opened opened = AgentHandshake.open(dialer, MAIN, secret, timers);
      t = opened.transport();
      synchronized (this) {
        if (closed || ended) {
          t.close();
          return;
        }
        long from = next;
        transport = t;
        out = t.output();
        send(AgentFrames.RESUME, ByteBuffer.allocate(8).putLong(from).array());
        resendStdin(opened.welcome());
        notifyAll();
      }
      firstConnection.complete(null);
      AgentTransport held = t;
      read(held);
    } catch (IOException | RuntimeException e) {
      AgentHandshake.closeQuietly(t);
      lost(attempt, e);
    }
  }

  private void read(AgentTransport t) throws IOException {
    InputStream in = t.input();
    while (true) {
      AgentFrame f = AgentFrames.read(in);
      if (f == null) {
        throw new IOException("the agent closed the connection");
      }
      if (f.channel() != MAIN) {
        continue;
      }
      switch (f.type()) {
        case AgentFrames.OUTPUT -> output(f.payload(), in.available() == 0);
        case AgentFrames.EXIT -> {
          exit(f.payload());
          // not closed at once: the ACK just written must reach the agent (a port-forward still
          // holds it in a pipe), and the agent closes the connection itself when it exits
          AgentHandshake.closeLater(t, LINGER, timers);
          return;
        }
        case AgentFrames.STDIN_TAKEN -> stdinTaken(ByteBuffer.wrap(f.payload()).getLong());
        case AgentFrames.ERROR -> agentError(new String(f.payload(), StandardCharsets.UTF_8));
        default -> {
          // WELCOME again, or a frame of a later version: nothing to do
        }
      }
    }
  }

  private void output(byte[] p, boolean idle) throws IOException {
    AgentFrames.Output o = AgentFrames.output(p);
    long expected;
    synchronized (this) {
      expected = next;
    }
    if (o.offset() > expected) {
      log.warn("session {}: the agent no longer had {} bytes", sessionId, o.offset() - expected);
      sink.onSkipped(o.offset() - expected);
    }
    o = o.from(expected);
    if (o.data().length > 0) {
      sink.onOutput(o.stream(), o.data());
    }
    synchronized (this) {
      next = Math.max(next, o.end());
      if (idle || next - acked >= ACK_EVERY) {
        ack();
      }
    }
  }

  private void exit(byte[] p) throws IOException {
    AgentFrames.Exit exit = AgentFrames.exit(p);
    long end = exit.end();
    synchronized (this) {
      if (end > next) {
        sink.onSkipped(end - next);
        next = end;
      }
      // always, even when everything was acknowledged already: the agent exits on an ACK that
      // comes after its EXIT, and the kubelet reports the container's end only then
      if (out != null) {
        send(AgentFrames.ACK, ByteBuffer.allocate(8).putLong(next).array());
        acked = next;
      }
      if (ended) {
        return;
      }
      ended = true;
      stdinClosed = true;
      notifyAll();
    }
    onExit.accept(exit);
    sink.onEnd(null);
  }

  private synchronized void ack() throws IOException {
    if (next > acked && out != null) {
      send(AgentFrames.ACK, ByteBuffer.allocate(8).putLong(next).array());
      acked = next;
    }
  }

  private synchronized void stdinTaken(long total) {
    stdin.taken(total);
    notifyAll();
  }

  /**
   * On a new connection: stdin that a broken one carried and the agent did not get is sent again,
   * from what its WELCOME says arrived, and so is an end of file it did not get.
   */
  private void resendStdin(AgentFrames.Welcome welcome) throws IOException {
    if (!welcome.knowsStdin()) {
      stdin.forgetInFlight();
      return;
    }
    if (!welcome.stdinClosed()) {
      for (byte[] part : stdin.since(welcome.stdinReceived())) {
        send(AgentFrames.STDIN, part);
      }
      if (stdinClosed) {
        send(AgentFrames.STDIN_CLOSE, new byte[0]);
      }
    }
  }

  private synchronized void agentError(String text) {
    log.debug("session {}: the agent says: {}", sessionId, text);
    if (text.contains("stdin")) {
      stdinGone = true;
      notifyAll();
    }
  }

  private void lost(int attempt, Exception e) {
    long waited;
    synchronized (this) {
      if (closed || ended) {
        return;
      }
      transport = null;
      out = null;
      if (attempt == 0) {
        lostSince = System.nanoTime();
      }
      waited = System.nanoTime() - lostSince;
    }
    boolean alive = machineAlive.getAsBoolean();
    if (!alive || waited > reconnectFor.toNanos()) {
      IOException why =
          new IOException("lost the agent of session " + sessionId + ": " + e.getMessage(), e);
      firstConnection.completeExceptionally(why);
      end(why);
      return;
    }
    log.debug("session {}: agent connection lost ({}); dialling again", sessionId, e.toString());
    long delay = Math.min(2000, 100L << Math.min(attempt, 5));
    try {
      timers.schedule(
          () -> executor.execute(() -> redial(attempt + 1)), delay, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException shuttingDown) {
      end(new IOException("shutting down"));
    }
  }

  private void end(Throwable error) {
    synchronized (this) {
      if (ended) {
        return;
      }
      ended = true;
      notifyAll();
    }
    sink.onEnd(error);
  }

  /** Sends a signal to the command; false when no connection is open to carry it. */
  public boolean signal(int signal) {
    synchronized (this) {
      if (out == null || ended) {
        return false;
      }
      try {
        send(AgentFrames.SIGNAL, new byte[] {(byte) signal});
        return true;
      } catch (IOException e) {
        return false;
      }
    }
  }

  /**
   * Breaks the connection open now, as a network blip would; the channel dials again and resumes.
   * For tests of that path.
   */
  public void breakConnection() {
    AgentTransport t;
    synchronized (this) {
      t = transport;
    }
    AgentHandshake.closeQuietly(t);
  }

  @Override
  public synchronized void writeStdin(byte[] data) throws IOException {
    int at = 0;
    while (at < data.length) {
      while (true) {
        if (!stdinOpen()) {
          throw new IOException("stdin is closed");
        }
        if (out != null && stdin.inFlight() < STDIN_WINDOW) {
          break;
        }
        try {
          wait();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IOException("interrupted", e);
        }
      }
      // what is in flight and this frame together stay within the agent's window, which it
      // enforces: a reader that cut its output keeps its stdin from being taken (E_WINDOW)
      long room = STDIN_WINDOW - stdin.inFlight();
      int n = (int) Math.min(data.length - at, Math.min(STDIN_FRAME, room));
      byte[] chunk = Arrays.copyOfRange(data, at, at + n);
      stdin.sent(chunk);
      at += n;
      sendOrDrop(AgentFrames.STDIN, chunk);
    }
  }

  @Override
  public synchronized void closeStdin() throws IOException {
    if (stdinClosed) {
      return;
    }
    stdinClosed = true;
    notifyAll();
    if (out != null && !ended) {
      sendOrDrop(AgentFrames.STDIN_CLOSE, new byte[0]);
    }
  }

  @Override
  public synchronized boolean stdinOpen() {
    return !stdinClosed && !stdinGone && !ended && !closed;
  }

  @Override
  public void close() {
    AgentTransport t;
    synchronized (this) {
      closed = true;
      t = transport;
      transport = null;
      out = null;
      notifyAll();
    }
    AgentHandshake.closeQuietly(t);
    firstConnection.completeExceptionally(new IOException("closed"));
    end(new IOException("detached"));
  }

  /**
   * Sends stdin or its end; a connection that fails doing so is dropped, and the next one sends it
   * again (the ledger kept the bytes, and the end of file is sent again while not confirmed).
   */
  private void sendOrDrop(int type, byte[] payload) {
    try {
      send(type, payload);
    } catch (IOException e) {
      log.debug(
          "session {}: stdin write failed ({}); sent again on the next connection",
          sessionId,
          e.toString());
      AgentHandshake.closeQuietly(transport);
      out = null;
    }
  }

  private void send(int type, byte[] payload) throws IOException {
    AgentFrames.write(out, type, MAIN, payload);
    out.flush();
  }
}
