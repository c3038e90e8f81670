package io.execbox.machines.kubernetes;

import io.execbox.machines.IoChannel;
import io.execbox.machines.MachineRef;
import io.execbox.machines.OutputSink;
import io.execbox.machines.StreamKind;
import io.fabric8.kubernetes.client.dsl.ExecWatch;
import java.io.IOException;
import java.io.OutputStream;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A channel reading a session's output from its Pod (an attach, or a followed log), told when the
 * Pod's container has terminated. The runtime normally ends an attach or a log follow within a
 * second of the command's exit; one that it leaves open (an attach made while the container was
 * exiting, a connection the apiserver lost track of) must not hold the session's output open for
 * ever, so a channel still open a moment after the termination is cut: it stops delivering (under
 * the tally's lock, so the tally says exactly what was delivered), stops reading, and takes what it
 * has not delivered from the log.
 *
 * <p>Stdin, when there is one, is an attach: the v4 protocol cannot half-close it, so closing stdin
 * closes that attach (the end of input of a {@code stdinOnce} container).
 */
abstract class PodChannel implements IoChannel {
  private static final Logger log = LoggerFactory.getLogger(PodChannel.class);

  final PodIo io;
  final MachineRef ref;
  final OutputSink sink;
  final Executor executor;
  final OutputTally tally = new OutputTally();
  final AtomicBoolean ended = new AtomicBoolean();

  /** Taken by whichever path ends the output: the runtime's own end, or the cut. */
  final AtomicBoolean finishing = new AtomicBoolean();

  private final AtomicBoolean terminated = new AtomicBoolean();
  volatile boolean dropped;
  volatile boolean cut;

  /** Set once the channel's source has ended: what arrives late is no longer delivered. */
  private volatile boolean sealed;

  /** The attach that carries stdin; null when the command's stdin cannot be reached. */
  volatile ExecWatch stdin;

  volatile boolean stdinClosed;

  PodChannel(PodIo io, MachineRef ref, OutputSink sink, Executor executor) {
    this.io = io;
    this.ref = ref;
    this.sink = sink;
    this.executor = executor;
  }

  /** The stream for one output kind: delivered and counted until the channel is dropped or cut. */
  OutputStream output(StreamKind kind) {
    return new SinkOutput(sink, kind, () -> dropped || cut || sealed, tally);
  }

  /**
   * Stops delivery (under the tally's lock, as a cut does), so that the tally says exactly what was
   * delivered before the rest is taken from the log: a chunk the client still had in hand when the
   * source ended (after a failure, its delivery thread is not waited for) is then left to the log
   * rather than delivered twice.
   */
  final void seal() {
    synchronized (tally) {
      sealed = true;
    }
  }

  /** Ends the output with an error: the log cannot show that it is whole, for {@code why}. */
  final void endIncomplete(String why) {
    log.warn("session {}: output may be incomplete: {}", ref.sessionId(), why);
    end(new IOException("output may be incomplete: " + why));
  }

  @Override
  public synchronized void writeStdin(byte[] data) throws IOException {
    if (!stdinOpen()) {
      throw new IOException("stdin is closed");
    }
    SinkOutput.stdin(stdin, data);
  }

  @Override
  public synchronized void closeStdin() {
    shutStdin();
  }

  /** Closes stdin without waiting for a write that the runtime holds up. */
  private void shutStdin() {
    if (stdinClosed) {
      return;
    }
    stdinClosed = true;
    ExecWatch w = stdin;
    if (w != null) {
      w.close();
    }
  }

  @Override
  public boolean stdinOpen() {
    return stdin != null && !stdinClosed && !ended.get();
  }

  /** The Pod's container has terminated (seen by the informer); called at least once. */
  final void containerTerminated() {
    if (terminated.compareAndSet(false, true)) {
      io.afterLinger(this::cutIfStillOpen);
    }
  }

  private void cutIfStillOpen() {
    if (ended.get() || dropped || !finishing.compareAndSet(false, true)) {
      return; // ended, or the runtime's own end is being handled
    }
    log.info(
        "session {}: still reading its Pod {} after the command exited; the rest comes from the"
            + " log",
        ref.sessionId(),
        io.linger());
    synchronized (tally) {
      cut = true;
    }
    stopReading();
    executor.execute(this::afterCut);
  }

  /** Closes what the channel reads from (the cut has stopped its delivery already). */
  abstract void stopReading();

  /** Off the client's threads, after a cut: delivers the rest from the log and ends. */
  abstract void afterCut();

  /** Ends the output, once: the channel is no longer held, its stdin closes, the sink is told. */
  final void end(Throwable error) {
    if (ended.compareAndSet(false, true)) {
      io.forget(ref.sessionId(), this);
      shutStdin();
      sink.onEnd(error);
    }
  }
}
