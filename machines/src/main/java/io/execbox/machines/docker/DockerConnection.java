package io.execbox.machines.docker;

import io.execbox.machines.DaemonThreads;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.SocketTimeoutException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * One HTTP exchange on its own connection: the request, the response head, then the body as a
 * stream. A hijacked (attach) connection stays writable after the head: {@link #write} sends stdin,
 * {@link #shutdownOutput} ends it.
 *
 * <p>Socket channels ignore {@code SO_TIMEOUT} (and Unix-domain ones have no socket adaptor), so a
 * timeout is enforced by closing the channel from a timer, which aborts a blocked connect or read.
 */
public final class DockerConnection implements Closeable {
  private static final int MAX_HEAD_LINE = 16 * 1024;
  private static final int MAX_HEADERS = 200;
  private static final ScheduledThreadPoolExecutor TIMERS = timers();

  private final SocketChannel channel;
  private final ChannelInput raw;
  private final Object writeLock = new Object();
  private volatile boolean timedOut;
  private volatile Duration timeout;
  private ScheduledFuture<?> timer;
  private int status;
  private Map<String, String> headers = Map.of();
  private InputStream body = InputStream.nullInputStream();

  private DockerConnection(SocketChannel channel) {
    this.channel = channel;
    this.raw = new ChannelInput(channel);
  }

  /** Connects; with a timeout, it covers connecting and everything until {@link #disarm()}. */
  static DockerConnection connect(DockerHost host, Duration timeout) throws IOException {
    SocketAddress address = host.address();
    SocketChannel ch;
    if (address instanceof UnixDomainSocketAddress) {
      ch = SocketChannel.open(StandardProtocolFamily.UNIX);
    } else {
      InetSocketAddress a = (InetSocketAddress) address;
      address = new InetSocketAddress(a.getHostString(), a.getPort());
      ch = SocketChannel.open();
    }
    DockerConnection c = new DockerConnection(ch);
    c.arm(timeout);
    try {
      ch.connect(address);
    } catch (IOException e) {
      c.close();
      throw c.translate(e);
    }
    return c;
  }

  /** Sends a request head (and body) and reads the response head. */
  void exchange(String head, byte[] requestBody, boolean hijack, boolean headOnly)
      throws IOException {
    try {
      byte[] h = head.getBytes(StandardCharsets.ISO_8859_1);
      if (requestBody != null && requestBody.length > 0 && requestBody.length < 256 * 1024) {
        ByteBuffer both = ByteBuffer.allocate(h.length + requestBody.length);
        both.put(h).put(requestBody).flip();
        writeFully(both);
      } else {
        writeFully(ByteBuffer.wrap(h));
        if (requestBody != null && requestBody.length > 0) {
          writeFully(ByteBuffer.wrap(requestBody));
        }
      }
      readHead();
      while (status >= 100 && status < 200 && status != 101) {
        readHead();
      }
      body = new Guarded(bodyStream(hijack, headOnly));
    } catch (IOException e) {
      close();
      throw translate(e);
    }
  }

  private void readHead() throws IOException {
    String statusLine = HttpLines.readLine(raw, MAX_HEAD_LINE);
    if (statusLine == null) {
      throw new IOException("the container runtime closed the connection without an answer");
    }
    String[] parts = statusLine.split(" ", 3);
    if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
      throw new IOException("not an HTTP answer: " + statusLine);
    }
    try {
      status = Integer.parseInt(parts[1]);
    } catch (NumberFormatException e) {
      throw new IOException("not an HTTP answer: " + statusLine, e);
    }
    Map<String, String> h = new LinkedHashMap<>();
    String line;
    while ((line = HttpLines.readLine(raw, MAX_HEAD_LINE)) != null && !line.isEmpty()) {
      int colon = line.indexOf(':');
      if (colon <= 0) {
        continue;
      }
      if (h.size() >= MAX_HEADERS) {
        throw new IOException("more than " + MAX_HEADERS + " response headers");
      }
      String name = line.substring(0, colon).strip().toLowerCase(Locale.ROOT);
      String value = line.substring(colon + 1).strip();
      h.merge(name, value, (a, b) -> a + ", " + b);
    }
    if (line == null) {
      throw new IOException("the container runtime closed the connection in the response head");
    }
    headers = Collections.unmodifiableMap(h);
  }

  private InputStream bodyStream(boolean hijack, boolean headOnly) throws IOException {
    if (status == 101) {
      return raw;
    }
    if (headOnly || status == 204 || status == 304) {
      return InputStream.nullInputStream();
    }
    String te = headers.getOrDefault("transfer-encoding", "").toLowerCase(Locale.ROOT);
    if (te.contains("chunked")) {
      return new ChunkedInputStream(raw);
    }
    String length = headers.get("content-length");
    // A hijack that succeeded carries the raw stream whatever it says; a refusal is a normal body.
    boolean upgraded = hijack && status >= 200 && status < 300;
    if (length != null && !upgraded) {
      try {
        return new BoundedInputStream(raw, Long.parseLong(length.strip()));
      } catch (NumberFormatException e) {
        throw new IOException("bad Content-Length: " + length, e);
      }
    }
    // Connection: close, or a hijacked stream answered with 200: the body runs to end of stream.
    return raw;
  }

  public int status() {
    return status;
  }

  public Map<String, String> headers() {
    return headers;
  }

  /** The decoded body: the raw stream after a hijack. */
  public InputStream body() {
    return body;
  }

  /** Reads the rest of the body, at most {@code max} bytes, and closes the connection. */
  HttpResponse drain(int max) throws IOException {
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      byte[] buf = new byte[16 * 1024];
      int n;
      while ((n = body.read(buf)) != -1) {
        if (out.size() + n > max) {
          throw new IOException("answer larger than " + max + " bytes");
        }
        out.write(buf, 0, n);
      }
      return new HttpResponse(status, headers, out.toByteArray());
    } finally {
      close();
    }
  }

  /** Writes to a hijacked connection; blocks while the peer applies back-pressure. */
  public void write(byte[] data) throws IOException {
    synchronized (writeLock) {
      writeFully(ByteBuffer.wrap(data));
    }
  }

  /** Half-closes: the peer reads end of stream, which a container takes as stdin EOF. */
  public void shutdownOutput() throws IOException {
    synchronized (writeLock) {
      channel.shutdownOutput();
    }
  }

  public boolean isOpen() {
    return channel.isOpen();
  }

  /** Starts (or restarts) the timer that closes the connection; null means none. */
  void arm(Duration t) {
    disarm();
    timeout = t;
    if (t != null) {
      timer =
          TIMERS.schedule(
              () -> {
                timedOut = true;
                close();
              },
              Math.max(1, t.toMillis()),
              TimeUnit.MILLISECONDS);
    }
  }

  /** Cancels the timer: the rest of the body may take as long as it takes. */
  void disarm() {
    ScheduledFuture<?> t = timer;
    if (t != null) {
      t.cancel(false);
      timer = null;
    }
  }

  @Override
  public void close() {
    disarm();
    try {
      channel.close();
    } catch (IOException ignored) {
      // Closing is best effort: the descriptor is released either way.
    }
  }

  private void writeFully(ByteBuffer b) throws IOException {
    while (b.hasRemaining()) {
      channel.write(b);
    }
  }

  private IOException translate(IOException e) {
    if (timedOut) {
      SocketTimeoutException t =
          new SocketTimeoutException("no answer from the container runtime within " + timeout);
      t.initCause(e);
      return t;
    }
    return e;
  }

  private static ScheduledThreadPoolExecutor timers() {
    ScheduledThreadPoolExecutor t =
        new ScheduledThreadPoolExecutor(1, DaemonThreads.named("execbox-docker-timeouts"));
    t.setRemoveOnCancelPolicy(true);
    return t;
  }

  /** Turns the close done by the timer into a timeout for whoever reads. */
  private final class Guarded extends FilterInputStream {
    Guarded(InputStream in) {
      super(in);
    }

    @Override
    public int read() throws IOException {
      try {
        return super.read();
      } catch (IOException e) {
        throw translate(e);
      }
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      try {
        return in.read(b, off, len);
      } catch (IOException e) {
        throw translate(e);
      }
    }
  }
}
