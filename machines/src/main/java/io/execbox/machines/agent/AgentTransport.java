package io.execbox.machines.agent;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;

/**
 * One byte stream to a session's agent: a port-forward through the Kubernetes apiserver, or a TCP
 * connection to the machine's private address. Closing it ends both directions.
 */
public interface AgentTransport extends Closeable {
  /** What the agent sends. */
  InputStream input();

  /** What goes to the agent. */
  OutputStream output();

  /** Opens a transport to one session's agent; each call is a new connection. */
  @FunctionalInterface
  interface Dialer {
    AgentTransport dial() throws IOException;
  }

  /** A transport of these two streams, which {@code closer} ends. */
  static AgentTransport of(InputStream in, OutputStream out, Closeable closer) {
    return new AgentTransport() {
      @Override
      public InputStream input() {
        return in;
      }

      @Override
      public OutputStream output() {
        return out;
      }

      @Override
      public void close() throws IOException {
        closer.close();
      }
    };
  }

  /** A plain TCP connection (Fly's private network, a local agent in tests). */
  static AgentTransport tcp(InetSocketAddress address, int connectTimeoutMs) throws IOException {
    Socket s = new Socket();
    try {
      s.setTcpNoDelay(true);
      s.connect(address, connectTimeoutMs);
      return of(s.getInputStream(), s.getOutputStream(), s);
    } catch (IOException e) {
      s.close();
      throw e;
    }
  }
}
