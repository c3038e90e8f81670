package io.execbox.machines.io;

import io.execbox.machines.IoChannel;
import io.execbox.machines.MachineRef;
import io.execbox.machines.OutputSink;
import io.execbox.machines.StreamKind;
import java.io.IOException;
import java.util.concurrent.atomic.AtomicReference;
import reactor.core.publisher.Mono;

/**
 * One session's live I/O in this process: the journal its output goes to and the stdin its clients
 * share. Created by {@link SessionIoHub}.
 */
public final class SessionStream implements OutputSink {
  private final MachineRef ref;
  private final OutputJournal journal;
  private final AtomicReference<IoChannel> channel = new AtomicReference<>();
  private volatile Runnable onEnd = () -> {};
  private volatile boolean ended;

  /** Set when this side let go of the machine: the channel's "detached" end is no failure. */
  private volatile boolean detached;

  /**
   * Stdin of every client, written in order once the command runs (before, it would race the
   * runtime's set-up).
   */
  private final StdinQueue stdin;

  SessionStream(MachineRef ref, OutputJournal journal, StdinQueue stdin) {
    this.ref = ref;
    this.journal = journal;
    this.stdin = stdin;
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
    IoChannel c = channel.get();
    if (c != null) {
      stdin.start(c);
    }
  }

  /** The command will never start here: stdin writers give up. */
  void markNotStarted(String why) {
    stdin.fail(new IOException(why));
  }

  /** Whether stdin can still be written. */
  public boolean stdinOpen() {
    IoChannel c = channel.get();
    return c != null && c.stdinOpen();
  }

  /**
   * Offers bytes for the command's stdin, after those offered before by any client. Completes once
   * they are in the session's line (at once while it has room), without blocking; a caller that
   * waits for it before reading more is held back exactly as much as the session's stdin is. Fails
   * with an {@link IOException} once stdin is closed.
   */
  public Mono<Void> writeStdin(byte[] data) {
    return stdin.write(data);
  }

  /** Ends the command's stdin after what was offered before. Idempotent; never fails. */
  public Mono<Void> closeStdin() {
    return stdin.close();
  }

  /** Drops the connection to the machine. */
  void disconnect() {
    detached = true;
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

  /**
   * The output ended. With an error (the connection broke, or the backend cannot show the output
   * whole), readers are told so after the last byte instead of getting the exit code as if nothing
   * were missing: the journal ends failed, and the exit code that follows no longer changes that.
   */
  @Override
  public void onSkipped(long bytes) {
    journal.skip(bytes);
  }

  @Override
  public void onEnd(Throwable error) {
    if (error != null && !detached) {
      journal.fail(error.getMessage() != null ? error.getMessage() : error.toString());
    }
    ended = true;
    if (channel.get() != null) {
      onEnd.run();
    }
  }
}
