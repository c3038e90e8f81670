package io.execbox.machines.kubernetes;

import io.execbox.machines.OutputSink;
import io.execbox.machines.StreamKind;
import io.fabric8.kubernetes.client.dsl.ExecWatch;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.function.BooleanSupplier;

/**
 * One output stream of a Pod (as the Kubernetes client hands it over) delivered to an {@link
 * OutputSink} in chunks it owns, counted into the channel's tally, dropped once its channel is cut.
 * Delivery and counting happen under the tally's lock, so that once a channel is cut (under the
 * same lock) the tally says exactly what was delivered.
 */
final class SinkOutput extends OutputStream {
  private final OutputSink sink;
  private final StreamKind kind;
  private final BooleanSupplier dropped;
  private final OutputTally tally;

  SinkOutput(OutputSink sink, StreamKind kind, BooleanSupplier dropped, OutputTally tally) {
    this.sink = sink;
    this.kind = kind;
    this.dropped = dropped;
    this.tally = tally;
  }

  @Override
  public void write(int b) {
    write(new byte[] {(byte) b}, 0, 1);
  }

  @Override
  public void write(byte[] b, int off, int len) {
    if (len == 0) {
      return;
    }
    synchronized (tally) {
      if (dropped.getAsBoolean()) {
        return;
      }
      tally.add(b, off, len);
      sink.onOutput(kind, Arrays.copyOfRange(b, off, off + len));
    }
  }

  /** Writes to an attach's stdin and sends it at once. */
  static void stdin(ExecWatch watch, byte[] data) throws IOException {
    OutputStream in = watch.getInput();
    in.write(data);
    in.flush();
  }
}
