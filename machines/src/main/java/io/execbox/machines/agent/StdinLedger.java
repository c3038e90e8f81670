package io.execbox.machines.agent;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The stdin a channel sent to its agent and does not yet know written: kept until STDIN_TAKEN
 * covers it (at most the agent's window), so that after a broken connection the rest is sent again
 * from what the next WELCOME says arrived, each byte once. Not thread-safe: its channel guards it.
 */
final class StdinLedger {
  private final ArrayDeque<byte[]> kept = new ArrayDeque<>();
  private long keptFrom;
  private long sent;
  private long taken;

  /** Records bytes just sent, at the end of what was sent before. */
  void sent(byte[] chunk) {
    kept.addLast(chunk);
    sent += chunk.length;
  }

  /** The agent wrote this many bytes to the process in all: what lies below is let go. */
  void taken(long total) {
    taken = Math.max(taken, Math.min(total, sent));
    while (!kept.isEmpty() && keptFrom + kept.peekFirst().length <= taken) {
      keptFrom += kept.removeFirst().length;
    }
  }

  /** Sent and not yet written by the agent: what counts against its window. */
  long inFlight() {
    return sent - taken;
  }

  long sentTotal() {
    return sent;
  }

  /**
   * What to send again after the agent said it has {@code received} bytes: the kept bytes from
   * there on, in order. The agent can have no byte that was never sent, nor have let go of one it
   * has not written, so {@code received} lies between what it has written and what was sent.
   */
  List<byte[]> since(long received) {
    if (received < taken || received > sent) {
      throw new IllegalStateException(
          "the agent has " + received + " bytes of stdin, not within " + taken + ".." + sent);
    }
    List<byte[]> again = new ArrayList<>();
    long at = keptFrom;
    for (byte[] chunk : kept) {
      long end = at + chunk.length;
      if (end > received) {
        int skip = (int) Math.max(0, received - at);
        again.add(skip == 0 ? chunk : Arrays.copyOfRange(chunk, skip, chunk.length));
      }
      at = end;
    }
    return again;
  }

  /** An agent that cannot say what arrived: what was in flight counts as lost, as it may be. */
  void forgetInFlight() {
    kept.clear();
    keptFrom = taken;
    sent = taken;
  }
}
