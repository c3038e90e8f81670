package io.execbox.machines.kubernetes;

import io.execbox.machines.MachineException;
import io.execbox.machines.MachineRef;
import io.execbox.machines.OutputSink;
import io.execbox.machines.StreamKind;
import io.fabric8.kubernetes.client.dsl.ExecWatch;
import io.fabric8.kubernetes.client.dsl.LogWatch;
import java.io.IOException;
import java.util.concurrent.Executor;

/**
 * A session's output followed from the Pod's log, from its first byte to the command's exit, for a
 * Pod whose command ran before anything could attach (an image's default command, or a process that
 * did not hold the attach from the start). The log merges stdout and stderr: everything arrives on
 * stdout. Stdin, when given, is an attach of its own.
 */
final class LogChannel extends PodChannel {
  private volatile LogWatch logWatch;

  LogChannel(PodIo io, MachineRef ref, OutputSink sink, Executor executor) {
    super(io, ref, sink, executor);
  }

  void follow(LogWatch w) {
    this.logWatch = w;
    w.onClose()
        .whenComplete(
            (error, e) -> {
              if (!cut && finishing.compareAndSet(false, true)) {
                executor.execute(() -> finish(error != null ? error : e));
              }
            });
  }

  void stdin(ExecWatch w) {
    this.stdin = w;
  }

  /**
   * The follow ended. The kubelet ends a follow once the container has exited and the file has no
   * more, which can be before the runtime has written the last of the output into it: so once the
   * exit is known the log is read again, and what the follow missed is delivered from it, after
   * checking that it begins with what the follow delivered.
   */
  private void finish(Throwable error) {
    if (dropped) {
      return;
    }
    if (error != null) {
      end(error);
      return;
    }
    try {
      seal();
      io.awaitExit(ref, io.exitWait());
      deliverRest("followed", true);
    } catch (RuntimeException e) {
      end(e);
    }
  }

  /**
   * Delivers what the log has beyond what was delivered, or ends with an error; {@code sawTheEnd}:
   * the follow ended by itself, so a Pod deleted since (a stop, a kill) ends the output where the
   * deletion cut it.
   */
  private void deliverRest(String how, boolean sawTheEnd) {
    byte[] tail;
    String unread;
    try {
      tail = tally.tail(io.readLog(ref));
      unread = "the Pod's log does not begin with the " + tally.count() + " bytes " + how;
    } catch (MachineException e) {
      tail = null;
      unread = "the Pod's log cannot be read: " + e.getMessage();
    }
    if (tail == null) {
      if (sawTheEnd && io.deleted(ref)) {
        end(null);
      } else {
        endIncomplete(unread + ", so nothing shows that the output is whole");
      }
      return;
    }
    if (tail.length > 0) {
      sink.onOutput(StreamKind.STDOUT, tail);
    }
    end(null);
  }

  @Override
  void stopReading() {
    LogWatch w = logWatch;
    if (w != null) {
      w.close();
    }
  }

  @Override
  void afterCut() {
    try {
      io.awaitExit(ref, io.exitWait());
      deliverRest("delivered before the cut", false);
    } catch (RuntimeException e) {
      end(e);
    }
  }

  @Override
  public void close() {
    dropped = true;
    closeStdin();
    LogWatch w = logWatch;
    if (w != null) {
      w.close();
    }
    end(new IOException("detached"));
  }
}
