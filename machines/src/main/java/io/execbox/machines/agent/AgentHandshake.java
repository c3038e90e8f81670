package io.execbox.machines.agent;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Opening one authenticated connection to an agent: dial, HELLO with the secret, WELCOME. */
final class AgentHandshake {
  private static final Duration TIMEOUT = Duration.ofSeconds(10);

  private AgentHandshake() {}

  /**
   * Dials and authenticates, within {@link #TIMEOUT} for the answer; the connection is closed again
   * on any failure.
   */
  /** An authenticated connection and what the agent said in its WELCOME. */
  record Opened(AgentTransport transport, AgentFrames.Welcome welcome) {}

  static Opened open(
      AgentTransport.Dialer dialer, int channel, byte[] secret, ScheduledExecutorService timers)
      throws IOException {
    AgentTransport t = dialer.dial();
    try {
      return new Opened(t, hello(t, channel, secret, timers));
    } catch (IOException | RuntimeException e) {
      closeQuietly(t);
      throw e;
    }
  }

  private static AgentFrames.Welcome hello(
      AgentTransport t, int channel, byte[] secret, ScheduledExecutorService timers)
      throws IOException {
    byte[] hello = ByteBuffer.allocate(2 + secret.length).putShort((short) 1).put(secret).array();
    var timeout = timers.schedule(() -> closeQuietly(t), TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    try {
      synchronized (t) {
        AgentFrames.write(t.output(), AgentFrames.HELLO, channel, hello);
        t.output().flush();
      }
      AgentFrame f = AgentFrames.read(t.input());
      if (f == null || f.type() != AgentFrames.WELCOME) {
        throw new IOException(
            f == null ? "the agent closed the connection" : "the agent answered " + describe(f));
      }
      return AgentFrames.welcome(f.payload());
    } finally {
      timeout.cancel(false);
    }
  }

  private static String describe(AgentFrame f) {
    if (f.type() == AgentFrames.ERROR) {
      return new String(f.payload(), StandardCharsets.UTF_8);
    }
    return "a frame of type " + f.type();
  }

  /** Waits for a channel's first connection, as an IOException that says why it did not come. */
  static void await(CompletableFuture<Void> first, Duration timeout, String sessionId)
      throws IOException {
    try {
      first.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      throw new IOException(
          "cannot reach the agent of session " + sessionId + ": " + e.getCause().getMessage(),
          e.getCause());
    } catch (TimeoutException e) {
      throw new IOException("the agent of session " + sessionId + " did not answer in " + timeout);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }

  /** Closes the connection after {@code delay}, or at once if the timers are shutting down. */
  static void closeLater(AgentTransport t, Duration delay, ScheduledExecutorService timers) {
    try {
      timers.schedule(() -> closeQuietly(t), delay.toMillis(), TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException shuttingDown) {
      closeQuietly(t);
    }
  }

  static void closeQuietly(AgentTransport t) {
    if (t != null) {
      try {
        t.close();
      } catch (IOException ignored) {
        // closing anyway
      }
    }
  }
}
