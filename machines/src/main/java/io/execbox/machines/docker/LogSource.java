package io.execbox.machines.docker;

import io.execbox.machines.StreamKind;
import java.io.IOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Locale;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A container's output from its log: everything since it started, then, while it runs, what it
 * writes until it exits.
 *
 * <p>Podman 4.3's followed log is not exact: when the container exits while the reader is behind,
 * it ends early and its last bytes can be wrong (10 MiB of binary came back as 5-8 MiB, diverging
 * near the end, stderr missing), while the unfollowed log is byte-exact. So after a followed log
 * ends, the unfollowed log is read too: the bytes already delivered are checked against it (a
 * SHA-256 per stream), and what is missing is delivered from it. If the delivered bytes disagree,
 * the output ends with an error rather than silently wrong.
 */
final class LogSource implements OutputSource {
  private static final Logger log = LoggerFactory.getLogger(LogSource.class);
  private static final StreamKind[] KINDS = StreamKind.values();

  private final DockerConnection first;
  private final boolean followed;
  private final Supplier<DockerConnection> unfollowed;
  private volatile DockerConnection current;
  private volatile boolean aborted;

  /**
   * @param first the open log connection, followed or not
   * @param followed whether {@code first} follows the container
   * @param unfollowed opens the whole log, for the check after a followed log
   */
  LogSource(DockerConnection first, boolean followed, Supplier<DockerConnection> unfollowed) {
    this.first = first;
    this.followed = followed;
    this.unfollowed = unfollowed;
    this.current = first;
  }

  @Override
  public void pump(Frames out) throws IOException {
    long[] delivered = new long[KINDS.length];
    MessageDigest[] digests = {sha256(), sha256()};
    FrameReader frames = new FrameReader(first.body());
    FrameReader.Frame f;
    while ((f = frames.next()) != null) {
      int s = f.kind().ordinal();
      delivered[s] += f.data().length;
      if (followed) {
        digests[s].update(f.data());
      }
      out.accept(f.kind(), f.data());
    }
    first.close();
    if (followed && !aborted) {
      complete(out, delivered, digests);
    }
  }

  /** Checks the delivered bytes against the whole log and delivers the rest of it. */
  private void complete(Frames out, long[] delivered, MessageDigest[] digests) throws IOException {
    byte[][] followedDigest = {digests[0].digest(), digests[1].digest()};
    MessageDigest[] check = {sha256(), sha256()};
    long[] skipped = new long[KINDS.length];
    long completed = 0;
    boolean[] verified = new boolean[KINDS.length];
    DockerConnection all = unfollowed.get();
    current = all;
    if (aborted) {
      all.close();
      return;
    }
    try (all) {
      FrameReader frames = new FrameReader(all.body());
      FrameReader.Frame f;
      while ((f = frames.next()) != null) {
        int s = f.kind().ordinal();
        byte[] data = f.data();
        int prefix = (int) Math.min(data.length, delivered[s] - skipped[s]);
        check[s].update(data, 0, prefix);
        skipped[s] += prefix;
        if (prefix < data.length) {
          verify(s, followedDigest, check, verified);
          out.accept(f.kind(), Arrays.copyOfRange(data, prefix, data.length));
          completed += data.length - prefix;
        }
      }
    }
    if (completed > 0) {
      log.debug("the followed log ended {} bytes short; completed from the whole log", completed);
    }
    for (int s = 0; s < KINDS.length; s++) {
      if (skipped[s] < delivered[s]) {
        throw new IOException(
            "the runtime's followed log gave more "
                + KINDS[s].name().toLowerCase(Locale.ROOT)
                + " than its whole log holds ("
                + delivered[s]
                + " > "
                + skipped[s]
                + " bytes)");
      }
      verify(s, followedDigest, check, verified);
    }
  }

  private static void verify(
      int s, byte[][] followedDigest, MessageDigest[] check, boolean[] verified)
      throws IOException {
    if (verified[s]) {
      return;
    }
    verified[s] = true;
    if (!MessageDigest.isEqual(followedDigest[s], check[s].digest())) {
      throw new IOException(
          "the runtime's followed log disagrees with its whole log on "
              + KINDS[s].name().toLowerCase(Locale.ROOT)
              + ": replayed output may be wrong");
    }
  }

  @Override
  public void abort() {
    aborted = true;
    first.close();
    current.close();
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
    }
  }
}
