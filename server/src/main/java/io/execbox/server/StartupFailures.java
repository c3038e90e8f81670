package io.execbox.server;

/** Finds the one line that tells a user what to fix when start-up fails. */
final class StartupFailures {
  private StartupFailures() {}

  static String explain(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof ConfigurationException) {
        return t.getMessage();
      }
    }
    return rootMessage(e);
  }

  /** The message of the innermost cause, which is usually the one that names the problem. */
  static String rootMessage(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root.getMessage() == null ? root.toString() : root.getMessage();
  }
}
