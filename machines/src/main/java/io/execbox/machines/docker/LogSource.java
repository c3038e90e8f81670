package io.execbox.machines.docker;

import io.execbox.machines.StreamKind;
import java.io.IOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Locale;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * A container's output from its whole (unfollowed) log: read once for a container that has exited;
 * read again and again while it runs, each read delivering what is past the bytes already
 * delivered, until a read that began after the container stopped running.
 *
 * <p>Podman 4.3's followed log is not exact. When the container exits while the reader is behind,
 * it can end early, or drop lines near its end and go on with later ones: under CPU load about one
 * followed read in 20 of 4 MiB went wrong that way. Its whole log has been exact in every read,
 * running or not (a read may end inside a line; the next one then holds the rest of it). So the
 * followed log is not used at all. Each read is checked to begin with exactly the bytes already
 * delivered (a SHA-256 per stream); if it does not, the output ends with an error rather than
 * silently wrong.
 *
 * <p>Reads are paced: soon after output arrived or stdin was written ({@link #nudge}), backing off
 * to once a second while the log is quiet, and never spending more than a fifth of the time
 * reading, so a large log is read less often.
 */
final class LogSource implements OutputSource {
  private static final StreamKind[] KINDS = StreamKind.values();
  private static final long MIN_PAUSE_MS = 50;
  private static final long MAX_PAUSE_MS = 1000;

  private final BooleanSupplier running;
  private final Supplier<DockerConnection> whole;
  private final long minPauseMs;
  private final long maxPauseMs;
  private final Object pacing = new Object();
  private volatile DockerConnection current;
  private volatile boolean aborted;
  private boolean nudged;

  /**
   * @param first the open whole log, the first read
   * @param running whether the container still runs, asked before each read; null when it has
   *     exited, so that {@code first} is the only read
   * @param whole opens the whole log again
   */
  LogSource(DockerConnection first, BooleanSupplier running, Supplier<DockerConnection> whole) {
    this(first, running, whole, MIN_PAUSE_MS, MAX_PAUSE_MS);
  }

  LogSource(
      DockerConnection first,
      BooleanSupplier running,
      Supplier<DockerConnection> whole,
      long minPauseMs,
      long maxPauseMs) {
    this.running = running;
    this.whole = whole;
    this.minPauseMs = minPauseMs;
    this.maxPauseMs = maxPauseMs;
    this.current = first;
  }

  @Override
  public void pump(Frames out) throws IOException {
    long[] delivered = new long[KINDS.length];
    MessageDigest[] digests = {sha256(), sha256()};
    // The first log was opened before this pump began, so only an exited container's is whole.
    boolean last = running == null;
    DockerConnection c = current;
    long pause = minPauseMs;
    while (true) {
      long began = System.nanoTime();
      boolean grew = read(c, out, delivered, digests);
      if (last || aborted) {
        return;
      }
      long readMs = (System.nanoTime() - began) / 1_000_000;
      pause = grew ? minPauseMs : Math.min(maxPauseMs, pause * 2);
      if (!await(Math.max(pause, 4 * readMs))) {
        pause = minPauseMs;
      }
      if (aborted) {
        return;
      }
      // Asked before the read: a read that begins after the container stopped holds all of it.
      last = !running.getAsBoolean();
      c = whole.get();
      current = c;
      if (aborted) {
        c.close();
        return;
      }
    }
  }

  /**
   * Reads one whole log, checks that it begins with what was delivered and delivers the rest.
   *
   * @return whether anything new was delivered
   */
  private static boolean read(
      DockerConnection c, Frames out, long[] delivered, MessageDigest[] digests)
      throws IOException {
    MessageDigest[] check = {sha256(), sha256()};
    long[] skipped = new long[KINDS.length];
    boolean[] verified = new boolean[KINDS.length];
    boolean grew = false;
    try (c) {
      FrameReader frames = new FrameReader(c.body());
      FrameReader.Frame f;
      while ((f = frames.next()) != null) {
        int s = f.kind().ordinal();
        byte[] data = f.data();
        int prefix = (int) Math.min(data.length, delivered[s] - skipped[s]);
        check[s].update(data, 0, prefix);
        skipped[s] += prefix;
        if (prefix < data.length) {
          verify(s, digests, check, verified);
          byte[] rest = prefix == 0 ? data : Arrays.copyOfRange(data, prefix, data.length);
          digests[s].update(rest);
          delivered[s] += rest.length;
          skipped[s] += rest.length;
          out.accept(f.kind(), rest);
          grew = true;
        }
      }
    }
    for (int s = 0; s < KINDS.length; s++) {
      if (skipped[s] < delivered[s]) {
        throw new IOException(
            "the runtime's log of the container holds less "
                + KINDS[s].name().toLowerCase(Locale.ROOT)
                + " than was already read from it ("
                + skipped[s]
                + " < "
                + delivered[s]
                + " bytes)");
      }
      verify(s, digests, check, verified);
    }
    return grew;
  }

  /** Checks, once per read and stream, that the read began with exactly the delivered bytes. */
  private static void verify(
      int s, MessageDigest[] delivered, MessageDigest[] check, boolean[] verified)
      throws IOException {
    if (verified[s]) {
      return;
    }
    verified[s] = true;
    if (!MessageDigest.isEqual(copy(delivered[s]).digest(), check[s].digest())) {
      throw new IOException(
          "the runtime's log of the container changed its "
              + KINDS[s].name().toLowerCase(Locale.ROOT)
              + " between two reads: replayed output may be wrong");
    }
  }

  /**
   * Waits up to {@code ms}, or until nudged or aborted.
   *
   * @return false when nudged
   */
  private boolean await(long ms) {
    long deadline = System.nanoTime() + ms * 1_000_000;
    synchronized (pacing) {
      try {
        long left;
        while (!nudged && !aborted && (left = deadline - System.nanoTime()) > 0) {
          pacing.wait(Math.max(1, left / 1_000_000));
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        aborted = true;
      }
      boolean wasNudged = nudged;
      nudged = false;
      return !wasNudged;
    }
  }

  /** Stdin was written: output may follow soon, so the next read comes soon. */
  @Override
  public void nudge() {
    synchronized (pacing) {
      nudged = true;
      pacing.notifyAll();
    }
  }

  @Override
  public void abort() {
    aborted = true;
    synchronized (pacing) {
      pacing.notifyAll();
    }
    current.close();
  }

  private static MessageDigest copy(MessageDigest d) {
    try {
      return (MessageDigest) d.clone();
    } catch (CloneNotSupportedException e) {
      throw new IllegalStateException("the JDK's SHA-256 can be cloned", e);
    }
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
    }
  }
}
