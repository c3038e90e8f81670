package io.execbox.machines.docker;

import io.execbox.machines.DaemonThreads;
import io.execbox.machines.IoChannel;
import io.execbox.machines.OutputSink;
import java.io.IOException;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A container's output, pumped on its own daemon thread into an {@link OutputSink}, and its stdin.
 * Output and stdin may share one hijacked connection (attach) or not (the log for replay, plus a
 * stdin-only attach). The sink hears its end exactly once, and nothing after it.
 */
final class StreamChannel implements IoChannel {
  private static final Logger log = LoggerFactory.getLogger(StreamChannel.class);

  private final OutputSource output;
  private final DockerConnection stdin;
  private final OutputSink sink;
  private final Object sinkLock = new Object();
  private final AtomicBoolean ended = new AtomicBoolean();
  private volatile boolean stdinClosed;
  private volatile boolean closed;

  private StreamChannel(OutputSource output, DockerConnection stdin, OutputSink sink) {
    this.output = output;
    this.stdin = stdin;
    this.sink = sink;
    this.stdinClosed = stdin == null;
  }

  /**
   * Starts pumping {@code output} into {@code sink} on a thread named {@code threadName}. {@code
   * stdin} may be null when the command's stdin cannot be reached.
   */
  static StreamChannel start(
      String threadName, OutputSource output, DockerConnection stdin, OutputSink sink) {
    StreamChannel ch = new StreamChannel(output, stdin, sink);
    DaemonThreads.daemon(ch::pump, threadName).start();
    return ch;
  }

  private void pump() {
    Throwable error = null;
    try {
      output.pump(
          (kind, data) -> {
            synchronized (sinkLock) {
              if (!ended.get()) {
                sink.onOutput(kind, data);
              }
            }
          });
    } catch (Throwable t) {
      error = closed ? detached() : t;
    } finally {
      closeConnections();
      end(error);
    }
  }

  @Override
  public synchronized void writeStdin(byte[] data) throws IOException {
    if (stdinClosed) {
      throw new IOException("stdin is closed");
    }
    stdin.write(data);
    output.nudge();
  }

  @Override
  public synchronized void closeStdin() throws IOException {
    if (stdinClosed) {
      return;
    }
    stdinClosed = true;
    if (stdin.isOpen()) {
      stdin.shutdownOutput();
    }
    output.nudge();
  }

  @Override
  public boolean stdinOpen() {
    return !stdinClosed && stdin.isOpen();
  }

  @Override
  public void close() {
    closed = true;
    closeConnections();
    end(detached());
  }

  private void closeConnections() {
    output.abort();
    if (stdin != null) {
      stdin.close();
    }
  }

  private void end(Throwable error) {
    synchronized (sinkLock) {
      if (!ended.compareAndSet(false, true)) {
        return;
      }
      try {
        sink.onEnd(error);
      } catch (RuntimeException e) {
        log.warn("output sink failed at end of stream", e);
      }
    }
  }

  private static CancellationException detached() {
    return new CancellationException("detached from the machine");
  }
}
