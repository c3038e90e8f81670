package io.execbox.api.attach;

import io.execbox.machines.io.OutputJournal;
import io.execbox.machines.io.SessionStream;

/**
 * What a client attaches to: a journal to read, and the live stream for stdin while the session's
 * machine is still there (null for a finished session read from its archive); or the connection to
 * the server process that holds the session's stdio, whose frames are passed on.
 */
record AttachTarget(OutputJournal journal, SessionStream live, Upstream upstream) {
  AttachTarget(OutputJournal journal, SessionStream live) {
    this(journal, live, null);
  }

  static AttachTarget remote(Upstream upstream) {
    return new AttachTarget(null, null, upstream);
  }
}
