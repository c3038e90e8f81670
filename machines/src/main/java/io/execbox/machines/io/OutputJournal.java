package io.execbox.machines.io;

import io.execbox.machines.StreamKind;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A session's output, retained up to a bound and read by any number of readers, each at its own
 * pace from its own cursor. Bytes are addressed by their absolute offset in the session's output
 * (stdout and stderr interleaved in arrival order). When the bound is exceeded the oldest bytes are
 * discarded and counted, so a reader that falls behind learns exactly how many it lost. The writer
 * is never blocked by a reader.
 */
public final class OutputJournal {
  /** A piece of output at an absolute offset. */
  public record Chunk(long offset, StreamKind kind, byte[] data) {
    long end() {
      return offset + data.length;
    }
  }

  /** What a reader gets from {@link #read}. */
  public sealed interface Read {}

  /** Output from the cursor on; advance the cursor to {@code next}. */
  public record Data(List<Chunk> chunks, long next) implements Read {}

  /** Bytes between the cursor and {@code next} were discarded before this reader saw them. */
  public record Dropped(long bytes, long next) implements Read {}

  /** Nothing more will come: the command exited with {@code exitCode}. */
  public record Exited(int exitCode) implements Read {}

  /** Nothing more will come: the output could not be followed to its end. */
  public record Failed(String message) implements Read {}

  /** Nothing new yet. */
  public record Idle() implements Read {}

  private static final Idle IDLE = new Idle();

  private final long retentionBytes;
  private final ArrayDeque<Chunk> chunks = new ArrayDeque<>();
  private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
  private long start;
  private long end;
  private Integer exitCode;
  private String failure;

  public OutputJournal(long retentionBytes) {
    if (retentionBytes <= 0) {
      throw new IllegalArgumentException("retention must be positive");
    }
    this.retentionBytes = retentionBytes;
  }

  /**
   * Rebuilds a finished session's journal from archived output; the caller then completes or fails
   * it.
   */
  public static OutputJournal ofArchive(long retentionBytes, long dropped, List<Chunk> retained) {
    OutputJournal j = new OutputJournal(Math.max(retentionBytes, total(retained) + 1));
    j.start = dropped;
    j.end = dropped;
    for (Chunk c : retained) {
      j.chunks.add(new Chunk(j.end, c.kind(), c.data()));
      j.end += c.data().length;
    }
    return j;
  }

  private static long total(List<Chunk> cs) {
    long n = 0;
    for (Chunk c : cs) {
      n += c.data().length;
    }
    return n;
  }

  /** Appends output; discards the oldest bytes beyond the retention bound. */
  public void append(StreamKind kind, byte[] data) {
    if (data.length == 0) {
      return;
    }
    synchronized (this) {
      if (isFinished()) {
        return;
      }
      chunks.add(new Chunk(end, kind, data));
      end += data.length;
      while (end - start > retentionBytes) {
        Chunk first = chunks.peekFirst();
        long excess = end - start - retentionBytes;
        if (first.data().length <= excess) {
          chunks.removeFirst();
          start = first.end();
        } else {
          int cut = (int) excess;
          chunks.removeFirst();
          byte[] rest = java.util.Arrays.copyOfRange(first.data(), cut, first.data().length);
          chunks.addFirst(new Chunk(first.offset() + cut, first.kind(), rest));
          start = first.offset() + cut;
        }
      }
    }
    signal();
  }

  /**
   * Records that {@code bytes} of output were lost before they reached the journal. Its offsets go
   * on after them, and since retained bytes must be contiguous, what was retained goes too: every
   * reader that has not read past this point is told how many bytes it missed.
   */
  public void skip(long bytes) {
    if (bytes <= 0) {
      return;
    }
    synchronized (this) {
      if (isFinished()) {
        return;
      }
      chunks.clear();
      end += bytes;
      start = end;
    }
    signal();
  }

  /** The command exited; readers get {@link Exited} after the last byte. */
  public void complete(int code) {
    synchronized (this) {
      if (isFinished()) {
        return;
      }
      exitCode = code;
    }
    signal();
  }

  /** The output could not be followed to its end. */
  public void fail(String message) {
    synchronized (this) {
      if (isFinished()) {
        return;
      }
      failure = message;
    }
    signal();
  }

  public synchronized boolean isFinished() {
    return exitCode != null || failure != null;
  }

  public synchronized Integer exitCode() {
    return exitCode;
  }

  /** Bytes discarded so far. */
  public synchronized long dropped() {
    return start;
  }

  /** Everything retained now, for archiving. */
  public synchronized List<Chunk> retained() {
    return new ArrayList<>(chunks);
  }

  /**
   * Reads from {@code cursor}: discarded bytes first, then at most about {@code maxBytes} of
   * output, then the end.
   */
  public synchronized Read read(long cursor, int maxBytes) {
    if (cursor < start) {
      return new Dropped(start - cursor, start);
    }
    if (cursor < end) {
      List<Chunk> out = new ArrayList<>();
      long pos = cursor;
      int taken = 0;
      Iterator<Chunk> it = chunks.iterator();
      while (it.hasNext() && taken < maxBytes) {
        Chunk c = it.next();
        if (c.end() <= pos) {
          continue;
        }
        int from = (int) (pos - c.offset());
        int len = Math.min(c.data().length - from, maxBytes - taken);
        byte[] slice =
            from == 0 && len == c.data().length
                ? c.data()
                : java.util.Arrays.copyOfRange(c.data(), from, from + len);
        out.add(new Chunk(pos, c.kind(), slice));
        pos += len;
        taken += len;
      }
      return new Data(out, pos);
    }
    if (exitCode != null) {
      return new Exited(exitCode);
    }
    if (failure != null) {
      return new Failed(failure);
    }
    return IDLE;
  }

  /** Runs {@code listener} (quickly, on the writer's thread) whenever something new arrives. */
  public Runnable onChange(Runnable listener) {
    listeners.add(listener);
    return () -> listeners.remove(listener);
  }

  private void signal() {
    for (Runnable r : listeners) {
      r.run();
    }
  }
}
