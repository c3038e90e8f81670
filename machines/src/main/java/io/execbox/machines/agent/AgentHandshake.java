package io.execbox.machines.agent;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/** Opening one authenticated connection to an agent: dial, HELLO with the secret, WELCOME. */
final class AgentHandshake {
  private static final Duration TIMEOUT = Duration.ofSeconds(10);

  private AgentHandshake() {}

  /**
   * Dials and authenticates, within {@link #TIMEOUT} for the answer; the connection is closed again
   * on any failure.
   */
  static AgentTransport open(
      AgentTransport.Dialer dialer, int channel, byte[] secret, ScheduledExecutorService timers)
      throws IOException {
    AgentTransport t = dialer.dial();
    try {
      hello(t, channel, secret, timers);
      return t;
    } catch (IOException | RuntimeException e) {
      closeQuietly(t);
      throw e;
    }
  }

  private static void hello(
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
