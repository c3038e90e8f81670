package io.execbox.machines.kubernetes;

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

  private void finish(Throwable error) {
    if (dropped) {
      return;
    }
    if (error != null) {
      end(error);
      return;
    }
    try {
      io.awaitExit(ref, io.exitWait());
      end(null);
    } catch (RuntimeException e) {
      end(e);
    }
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
      byte[] tail = tally.tail(io.readLog(ref));
      if (tail == null) {
        end(new IOException("the log no longer begins with the output already delivered"));
        return;
      }
      if (tail.length > 0) {
        sink.onOutput(StreamKind.STDOUT, tail);
      }
      end(null);
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
