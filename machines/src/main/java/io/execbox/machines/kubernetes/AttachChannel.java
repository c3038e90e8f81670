package io.execbox.machines.kubernetes;

import io.execbox.machines.MachineException;
import io.execbox.machines.MachineRef;
import io.execbox.machines.OutputSink;
import io.execbox.machines.StreamKind;
import io.fabric8.kubernetes.client.dsl.ExecListener;
import io.fabric8.kubernetes.client.dsl.ExecWatch;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One {@code pods/attach} to a gated session's container, held from before its command is released
 * to its exit: stdout and stderr arrive apart, stdin goes in (closing it closes the attach); what
 * the command writes after that, or what the attach missed when it broke, is taken from the Pod's
 * log once the command has exited, on stdout, after checking that the log begins with exactly what
 * the attach delivered. When it does not (rotated, or the container removed), nothing shows that
 * the output is whole, even when the runtime itself ended the attach: the output then ends with an
 * error saying that it may be incomplete.
 *
 * <p>Neither the attach nor the log can show a loss in the runtime itself: containerd before 1.6.22
 * and 1.7.3 closes a container's output pipe when it handles the exit, before it has read what is
 * still in it, and the end of the output is then missing from the attach and the log alike.
 */
final class AttachChannel extends PodChannel implements ExecListener {
  private static final Logger log = LoggerFactory.getLogger(AttachChannel.class);

  private final CompletableFuture<Void> opened = new CompletableFuture<>();
  private volatile ExecWatch watch;
  private volatile boolean released;
  private volatile Throwable broken;

  AttachChannel(PodIo io, MachineRef ref, OutputSink sink, Executor executor) {
    super(io, ref, sink, executor);
  }

  /** Connects; returns once the apiserver has accepted the attach. */
  void connect(ExecWatch w, Duration timeout) {
    this.watch = w;
    this.stdin = w;
    try {
      opened.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      w.close();
      throw new MachineException(
          MachineException.Kind.RUNTIME,
          "cannot attach to pod " + ref.name() + ": " + e.getCause().getMessage(),
          e.getCause());
    } catch (TimeoutException e) {
      w.close();
      throw new MachineException(
          MachineException.Kind.RUNTIME, "attach to pod " + ref.name() + " timed out");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      w.close();
      throw new MachineException(MachineException.Kind.RUNTIME, "interrupted", e);
    }
  }

  /** Sends the gate line, which lets the command start; once. */
  synchronized void release() throws IOException {
    if (released) {
      return;
    }
    SinkOutput.stdin(watch, PodIo.GATE_LINE);
    released = true;
  }

  @Override
  public boolean stdinOpen() {
    return super.stdinOpen() && broken == null;
  }

  @Override
  public void close() {
    drop(new IOException("detached"));
  }

  /**
   * The command was killed: its output ends here, with nothing more from the log (the kubelet still
   * sends SIGTERM before its SIGKILL, but a killed command has no more to say).
   */
  void killed() {
    drop(null);
  }

  /** Stops delivering and reading, and ends the output with {@code error}. */
  private void drop(Throwable error) {
    dropped = true;
    stdinClosed = true;
    stopReading();
    end(error);
  }

  @Override
  void stopReading() {
    ExecWatch w = watch;
    if (w != null) {
      w.close();
    }
  }

  @Override
  void afterCut() {
    finish();
  }

  // ExecListener: called on the client's threads

  @Override
  public void onOpen() {
    opened.complete(null);
  }

  @Override
  public void onFailure(Throwable t, Response response) {
    if (!opened.isDone()) {
      opened.completeExceptionally(t);
      return;
    }
    broken = t;
    afterAttach();
  }

  @Override
  public void onClose(int code, String reason) {
    if (!opened.isDone()) {
      opened.completeExceptionally(new IOException("closed " + code + " " + reason));
      return;
    }
    if (!stdinClosed && !dropped) {
      // the runtime ended the attach: the command's output is closed, it has exited
      io.commandEnded(ref.sessionId(), java.time.Instant.now());
    }
    afterAttach();
  }

  /**
   * The attach ended: the command exited, stdin was closed, or the connection broke. Waits (off the
   * client's threads) for the exit, then takes from the log what the attach did not deliver.
   */
  private void afterAttach() {
    if (dropped || !finishing.compareAndSet(false, true)) {
      return;
    }
    executor.execute(this::finish);
  }

  private void finish() {
    try {
      seal();
      io.awaitExit(ref, io.exitWait());
      boolean sawTheEnd = !stdinClosed && broken == null && !cut;
      byte[] tail;
      String unread;
      try {
        tail = tally.tail(io.readLog(ref));
        unread = "the Pod's log does not begin with the " + tally.count() + " bytes attached";
      } catch (MachineException e) {
        tail = null;
        unread = "the Pod's log cannot be read: " + e.getMessage();
      }
      if (tail == null) {
        if (sawTheEnd && io.deleted(ref)) {
          // a stop, a kill or someone else's delete: the output ends at the deletion, which takes
          // the log with it; what the attach saw up to there is all there is
          end(null);
        } else {
          // rotated (the kubelet's limit counts the log file, some 40 bytes a line more than the
          // output), truncated or removed (a removed container's "log" is the kubelet's error
          // message, with status 200): nothing shows that the attach saw all there was
          endIncomplete(
              unread
                  + (sawTheEnd
                      ? ", so nothing shows that the attach saw the end"
                      : ", so the output written after the attach ended could not be read back"
                          + " from the log"));
        }
        return;
      }
      if (tail.length > 0) {
        log.debug(
            "session {}: {} bytes from the log after the attach", ref.sessionId(), tail.length);
        sink.onOutput(StreamKind.STDOUT, tail);
      }
      end(null);
    } catch (RuntimeException e) {
      end(e);
    }
  }
}
