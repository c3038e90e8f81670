package io.execbox.machines.io;

import io.execbox.machines.IoChannel;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;

/**
 * One session's stdin on its way to the machine: the writes of all its clients in one line, in the
 * order they were offered, written by one writer at a time on a bounded pool shared by the
 * sessions. A write to the runtime blocks while the command does not read its stdin, so it must not
 * hold a thread that anything else needs: here it holds one of the pool's, for its session only.
 *
 * <p>At most {@code limit} bytes wait to be written (a single larger frame is let in alone). A
 * write that does not fit waits outside, and its {@link Mono} completes only once it is let in: a
 * client that waits for it before reading its next frame is slowed exactly as much as the session's
 * stdin is, and no other session's client is. A close joins the line like a write: it is delivered
 * after every write offered before it, and every write offered after it fails.
 *
 * <p>Never blocks its callers (they may be event loops): the lock guards only bookkeeping.
 */
final class StdinQueue {
  /** A write (data) or the close (null), and who waits for it to be let in. */
  private record Item(byte[] data, MonoSink<Void> admitted) {
    boolean isClose() {
      return data == null;
    }

    long size() {
      return data == null ? 0 : data.length;
    }
  }

  /** Writes made by one turn of the writer before it lets other sessions' writers go first. */
  private static final int TURN = 16;

  private final Executor writers;
  private final long limit;

  // guarded by this
  private final ArrayDeque<Item> queued = new ArrayDeque<>();
  private final ArrayDeque<Item> waiting = new ArrayDeque<>();
  private long queuedBytes;
  private boolean closing;
  private boolean writing;
  private IOException failed;
  private IoChannel channel;

  /**
   * @param writers where the writes run, one at a time for this session
   * @param limit bytes that may wait to be written
   */
  StdinQueue(Executor writers, long limit) {
    this.writers = writers;
    this.limit = limit;
  }

  /**
   * Offers bytes for the command's stdin. Completes once they are in line (at once while the queue
   * has room); fails when stdin is closed, was closed by a client, or cannot be written.
   */
  Mono<Void> write(byte[] data) {
    return offer(data);
  }

  /** Offers the end of stdin, after what was offered before. Idempotent; never fails. */
  Mono<Void> close() {
    return offer(null);
  }

  private Mono<Void> offer(byte[] data) {
    return Mono.create(
        sink -> {
          Item item = new Item(data, sink);
          List<Item> admitted;
          synchronized (this) {
            if (failed != null || closing || (channel != null && !channel.stdinOpen())) {
              // a second close is not an error; a write after the end of stdin is
              if (data == null) {
                sink.success();
              } else {
                sink.error(failed != null ? failed : new IOException("stdin is closed"));
              }
              return;
            }
            closing = data == null;
            waiting.add(item);
            admitted = admitLocked();
          }
          sink.onCancel(() -> cancelled(item));
          settle(admitted);
        });
  }

  /** A client that went away before its write was let in: its write is dropped. */
  private void cancelled(Item item) {
    synchronized (this) {
      waiting.remove(item);
    }
  }

  /** The command runs: stdin flows to {@code c}. Idempotent. */
  void start(IoChannel c) {
    List<Item> admitted;
    synchronized (this) {
      if (channel != null || failed != null) {
        return;
      }
      channel = c;
      admitted = admitLocked();
    }
    settle(admitted);
  }

  /** Stdin can no longer be written: what waits fails, what is queued is dropped. Idempotent. */
  void fail(IOException why) {
    List<Item> dropped;
    synchronized (this) {
      if (failed != null) {
        return;
      }
      failed = why;
      queued.clear();
      queuedBytes = 0;
      dropped = new ArrayList<>(waiting);
      waiting.clear();
    }
    for (Item i : dropped) {
      if (i.isClose()) {
        i.admitted().success();
      } else {
        i.admitted().error(why);
      }
    }
  }

  /** Bytes in line to be written now. */
  synchronized long queuedBytes() {
    return queuedBytes;
  }

  /** Lets in what fits, in order, and starts the writer if there is work for it. */
  private List<Item> admitLocked() {
    List<Item> admitted = new ArrayList<>();
    while (!waiting.isEmpty()) {
      Item next = waiting.peek();
      if (queuedBytes > 0 && queuedBytes + next.size() > limit) {
        break;
      }
      waiting.poll();
      queued.add(next);
      queuedBytes += next.size();
      admitted.add(next);
    }
    if (channel != null && !writing && !queued.isEmpty()) {
      writing = true;
      try {
        writers.execute(this::writeTurn);
      } catch (RejectedExecutionException e) {
        writing = false;
        // the pool is shut down: the process is stopping
        failed = new IOException("stdin is closed: the server is stopping");
      }
    }
    return admitted;
  }

  private static void settle(List<Item> admitted) {
    admitted.forEach(i -> i.admitted().success());
  }

  /**
   * Writes what is queued, in order, on a writer thread; after a turn, lets the other sessions'
   * writers go first.
   */
  private void writeTurn() {
    for (int n = 0; ; n++) {
      Item next;
      IoChannel c;
      List<Item> requeued = null;
      synchronized (this) {
        if (failed != null || queued.isEmpty()) {
          writing = false;
          return;
        }
        if (n == TURN) {
          writing = false;
          requeued = admitLocked(); // schedules the next turn behind the other sessions'
        }
        next = queued.peek();
        c = channel;
      }
      if (requeued != null) {
        settle(requeued);
        return;
      }
      try {
        if (next.isClose()) {
          c.closeStdin();
        } else {
          c.writeStdin(next.data());
        }
      } catch (IOException | RuntimeException e) {
        fail(e instanceof IOException io ? io : new IOException(e.getMessage(), e));
        synchronized (this) {
          writing = false;
        }
        return;
      }
      List<Item> admitted;
      synchronized (this) {
        if (queued.peek() == next) {
          queued.poll();
          queuedBytes -= next.size();
        }
        admitted = admitLocked();
      }
      settle(admitted);
    }
  }
}
