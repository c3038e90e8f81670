package io.execbox.machines.io;

import io.execbox.machines.IoChannel;
import io.execbox.machines.MachineRef;
import io.execbox.machines.OutputSink;
import io.execbox.machines.StreamKind;
import java.io.IOException;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One session's live I/O in this process: the journal its output goes to and the stdin its clients
 * share. Created by {@link SessionIoHub}.
 */
public final class SessionStream implements OutputSink {
  private final MachineRef ref;
  private final OutputJournal journal;
  private final AtomicReference<IoChannel> channel = new AtomicReference<>();
  private final Object stdinLock = new Object();
  private volatile Runnable onEnd = () -> {};
  private volatile boolean ended;

  /** Completes once the command runs; stdin written before would race the runtime's set-up. */
  private final java.util.concurrent.CompletableFuture<Void> started =
      new java.util.concurrent.CompletableFuture<>();

  SessionStream(MachineRef ref, OutputJournal journal) {
    this.ref = ref;
    this.journal = journal;
  }

  void connect(IoChannel c, Runnable onEnd) {
    this.onEnd = onEnd;
    channel.set(c);
    if (ended) {
      onEnd.run();
    }
  }

  public MachineRef ref() {
    return ref;
  }

  public String sessionId() {
    return ref.sessionId();
  }

  public OutputJournal journal() {
    return journal;
  }

  /** The command has started: stdin may flow now. */
  public void markStarted() {
    started.complete(null);
  }

  /** The command will never start here: stdin writers give up. */
  void markNotStarted(String why) {
    started.completeExceptionally(new IOException(why));
  }

  private void awaitStarted() throws IOException {
    try {
      started.get(5, java.util.concurrent.TimeUnit.MINUTES);
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IOException(e.getCause().getMessage(), e.getCause());
    } catch (java.util.concurrent.TimeoutException e) {
      throw new IOException("the command did not start");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted");
    }
  }

  /** Whether stdin can still be written. */
  public boolean stdinOpen() {
    IoChannel c = channel.get();
    return c != null && c.stdinOpen();
  }

  /**
   * Writes to the command's stdin; blocks under the runtime's back-pressure, so callers use an I/O
   * thread. Writes from several clients are serialised whole.
   */
  public void writeStdin(byte[] data) throws IOException {
    awaitStarted();
    IoChannel c = channel.get();
    if (c == null || !c.stdinOpen()) {
      throw new IOException("stdin is closed");
    }
    synchronized (stdinLock) {
      c.writeStdin(data);
    }
  }

  /** Ends the command's stdin. Idempotent. */
  public void closeStdin() throws IOException {
    awaitStarted();
    IoChannel c = channel.get();
    if (c != null) {
      synchronized (stdinLock) {
        c.closeStdin();
      }
    }
  }

  /** Drops the connection to the machine. */
  void disconnect() {
    markNotStarted("the session's machine is gone");
    IoChannel c = channel.get();
    if (c != null) {
      c.close();
    }
  }

  @Override
  public void onOutput(StreamKind kind, byte[] data) {
    journal.append(kind, data);
  }

  @Override
  public void onEnd(Throwable error) {
    ended = true;
    if (channel.get() != null) {
      onEnd.run();
    }
  }
}
