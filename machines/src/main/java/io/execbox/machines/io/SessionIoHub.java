package io.execbox.machines.io;

import io.execbox.machines.DaemonThreads;
import io.execbox.machines.IoChannel;
import io.execbox.machines.MachineException;
import io.execbox.machines.MachineIo;
import io.execbox.machines.MachineRef;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedTransferQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sessions whose I/O this process holds. The reconcile loop attaches a session's machine here
 * before starting it, so its output is retained from the first byte; attach clients read the
 * journal; a process that did not start the machine (after a restart) replays it from the runtime.
 */
public final class SessionIoHub implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SessionIoHub.class);

  /** Default threads writing stdin, shared by the sessions. */
  public static final int STDIN_WRITERS = 16;

  /** Default stdin bytes that may wait in one session's line. */
  public static final long STDIN_QUEUE_BYTES = 4L << 20;

  private final MachineIo io;
  private final long retentionBytes;
  private final Map<String, SessionStream> streams = new ConcurrentHashMap<>();
  private final Map<String, Object> openLocks = new ConcurrentHashMap<>();
  private final List<Consumer<String>> exitListeners = new CopyOnWriteArrayList<>();
  private final ExecutorService exitWaiters;
  private final ThreadPoolExecutor stdinWriters;
  private final long stdinQueueBytes;

  public SessionIoHub(MachineIo io, long retentionBytes) {
    this(io, retentionBytes, STDIN_WRITERS, STDIN_QUEUE_BYTES);
  }

  /**
   * @param stdinWriters threads writing stdin, each to one session at a time: as many sessions
   *     whose command does not read its stdin may hold one each; the others' writes wait in line
   * @param stdinQueueBytes stdin bytes that may wait in a session's line before its clients are
   *     held back
   */
  public SessionIoHub(MachineIo io, long retentionBytes, int stdinWriters, long stdinQueueBytes) {
    this.io = io;
    this.retentionBytes = retentionBytes;
    this.exitWaiters = Executors.newCachedThreadPool(DaemonThreads.numbered("execbox-exit"));
    this.stdinQueueBytes = stdinQueueBytes;
    // all threads started at once and a lock-free queue: handing a write over never blocks the
    // event loop that read it, and whichever thread is free takes the next session's turn
    this.stdinWriters =
        new ThreadPoolExecutor(
            stdinWriters,
            stdinWriters,
            0,
            TimeUnit.MILLISECONDS,
            new LinkedTransferQueue<>(),
            DaemonThreads.numbered("execbox-stdin"));
    this.stdinWriters.prestartAllCoreThreads();
  }

  public long retentionBytes() {
    return retentionBytes;
  }

  /** Calls {@code listener} with the session id when a session's command has exited. */
  public void onExit(Consumer<String> listener) {
    exitListeners.add(listener);
  }

  public Optional<SessionStream> find(String sessionId) {
    return Optional.ofNullable(streams.get(sessionId));
  }

  /**
   * Attaches to a created machine before its command starts (blocking). Returns the existing stream
   * if this process holds one already.
   */
  public SessionStream attachBeforeStart(MachineRef ref) {
    return open(ref, true);
  }

  /**
   * The session's stream, replaying the machine's output from the runtime when this process does
   * not hold it (blocking).
   */
  public SessionStream replay(MachineRef ref) {
    return open(ref, false);
  }

  private SessionStream open(MachineRef ref, boolean beforeStart) {
    SessionStream created;
    // one session at a time, not the whole hub: an attach takes the runtime ~100 ms
    Object lock = openLocks.computeIfAbsent(ref.sessionId(), k -> new Object());
    synchronized (lock) {
      SessionStream existing = streams.get(ref.sessionId());
      if (existing != null) {
        return existing;
      }
      created =
          new SessionStream(
              ref,
              new OutputJournal(retentionBytes),
              new StdinQueue(stdinWriters, stdinQueueBytes));
      IoChannel channel = beforeStart ? io.attach(ref, created) : io.replay(ref, created);
      created.connect(channel, () -> exitWaiters.execute(() -> finish(created)));
      if (!beforeStart) {
        // a replayed machine's command runs already: stdin flows if the runtime connected it
        created.markStarted();
      }
      streams.put(ref.sessionId(), created);
    }
    return created;
  }

  /** The session's command was started by this process: its clients' stdin may flow. */
  public void markStarted(String sessionId) {
    SessionStream s = streams.get(sessionId);
    if (s != null) {
      s.markStarted();
    }
  }

  private void finish(SessionStream s) {
    try {
      int code = io.awaitExit(s.ref(), Duration.ofSeconds(30));
      s.journal().complete(code);
    } catch (MachineException | IllegalStateException e) {
      // the machine went away without our seeing its exit (destroyed, or the runtime lost it)
      log.info("session {}: output ended without an exit code: {}", s.sessionId(), e.getMessage());
      streams.remove(s.sessionId(), s);
      s.journal().fail("lost the machine's output: " + e.getMessage());
    }
    s.disconnect();
    exitListeners.forEach(l -> l.accept(s.sessionId()));
  }

  /** Forgets a finished session's stream (after its output was archived). */
  public void release(String sessionId) {
    openLocks.remove(sessionId);
    streams.computeIfPresent(sessionId, (id, s) -> s.journal().isFinished() ? null : s);
  }

  /** Drops a session's stream whatever its state (its machine is being destroyed). */
  public void drop(String sessionId) {
    openLocks.remove(sessionId);
    SessionStream s = streams.remove(sessionId);
    if (s != null) {
      s.disconnect();
    }
  }

  @Override
  public void close() {
    streams.values().forEach(SessionStream::disconnect);
    exitWaiters.shutdownNow();
    stdinWriters.shutdownNow();
  }
}
