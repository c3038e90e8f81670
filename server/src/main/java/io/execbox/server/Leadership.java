package io.execbox.server;

/**
 * Whether this operator replica holds the lease, in kubernetes mode: what only the leader may do
 * besides reconciling (the orphan sweep) asks here.
 */
final class Leadership {
  private volatile boolean leading;

  boolean leading() {
    return leading;
  }

  void started() {
    leading = true;
  }

  void stopped() {
    leading = false;
  }
}
