package io.execbox.machines.kubernetes;

import java.util.Arrays;

/**
 * What an attach delivered of a session's output, kept as a count and a byte histogram rather than
 * the bytes: enough to find, in the Pod's log (stdout and stderr merged), where the attach's view
 * ends, and to refuse a log that does not start with what the attach saw (rotated or truncated)
 * rather than hand out wrong bytes.
 */
final class OutputTally {
  private final long[] histogram = new long[256];
  private long count;

  synchronized void add(byte[] data, int offset, int length) {
    for (int i = offset; i < offset + length; i++) {
      histogram[data[i] & 0xff]++;
    }
    count += length;
  }

  synchronized long count() {
    return count;
  }

  /**
   * The bytes of {@code log} after those the attach delivered, or null when the log does not begin
   * with exactly the bytes the attach delivered (in any interleaving of stdout and stderr).
   */
  synchronized byte[] tail(byte[] log) {
    if (log.length < count) {
      return null;
    }
    long[] seen = new long[256];
    for (int i = 0; i < count; i++) {
      seen[log[(int) i] & 0xff]++;
    }
    if (!Arrays.equals(seen, histogram)) {
      return null;
    }
    return Arrays.copyOfRange(log, (int) count, log.length);
  }
}
