package io.execbox.api.attach;

import io.execbox.machines.StreamKind;
import io.execbox.machines.io.OutputJournal;
import java.util.concurrent.atomic.AtomicInteger;
import reactor.core.publisher.Flux;
import reactor.core.publisher.FluxSink;

/**
 * A journal read as attach frames, at the pace of one client: the client's demand pulls bytes from
 * its own cursor, so a slow client only falls behind itself. Bytes it lost to the retention bound
 * are announced with an error frame. Ends with the exit frame (or an error frame if the output
 * could not be followed to its end).
 */
public final class JournalFrames {
  static final int READ_BYTES = 64 * 1024;

  private JournalFrames() {}

  /** Frames of {@code journal} from its offset 0, read as the subscriber asks for them. */
  public static Flux<byte[]> from(OutputJournal journal) {
    return from(journal, 0);
  }

  /**
   * Frames of {@code journal} from {@code offset} on: for a client that was sent everything before
   * it by a process that went away.
   */
  public static Flux<byte[]> from(OutputJournal journal, long offset) {
    return Flux.create(
        sink -> new Reader(journal, sink, offset).start(), FluxSink.OverflowStrategy.BUFFER);
  }

  private static final class Reader {
    private final OutputJournal journal;
    private final FluxSink<byte[]> sink;
    private final AtomicInteger wip = new AtomicInteger();
    private long cursor;
    private volatile boolean done;

    Reader(OutputJournal journal, FluxSink<byte[]> sink, long cursor) {
      this.journal = journal;
      this.sink = sink;
      this.cursor = cursor;
    }

    void start() {
      Runnable unsubscribe = journal.onChange(this::drain);
      sink.onDispose(
          () -> {
            done = true;
            unsubscribe.run();
          });
      sink.onRequest(n -> drain());
    }

    private void drain() {
      if (wip.getAndIncrement() != 0) {
        return;
      }
      do {
        while (!done && sink.requestedFromDownstream() > 0) {
          OutputJournal.Read r = journal.read(cursor, READ_BYTES);
          if (r instanceof OutputJournal.Data d) {
            for (OutputJournal.Chunk c : d.chunks()) {
              byte type = c.kind() == StreamKind.STDOUT ? Frame.STDOUT : Frame.STDERR;
              sink.next(FrameCodec.data(type, c.data(), 0, c.data().length));
            }
            cursor = d.next();
          } else if (r instanceof OutputJournal.Dropped d) {
            sink.next(
                FrameCodec.error(
                    d.bytes()
                        + " bytes of output were dropped: they exceeded this session's retention"
                        + " limit before this client read them"));
            cursor = d.next();
          } else if (r instanceof OutputJournal.Exited e) {
            sink.next(FrameCodec.exit(e.exitCode()));
            done = true;
            sink.complete();
          } else if (r instanceof OutputJournal.Failed f) {
            sink.next(FrameCodec.error(f.message()));
            done = true;
            sink.complete();
          } else {
            break;
          }
        }
      } while (wip.decrementAndGet() != 0);
    }
  }
}
