package io.execbox.api.attach;

import io.execbox.machines.io.OutputJournal;
import io.execbox.machines.io.SessionStream;

/**
 * What a client attaches to: a journal to read, and the live stream for stdin while the session's
 * machine is still there (null for a finished session read from its archive).
 */
record AttachTarget(OutputJournal journal, SessionStream live) {}
