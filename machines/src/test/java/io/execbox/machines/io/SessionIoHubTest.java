package io.execbox.machines.io;

import static org.assertj.core.api.Assertions.assertThat;

import io.execbox.machines.IoChannel;
import io.execbox.machines.MachineIo;
import io.execbox.machines.MachineRef;
import io.execbox.machines.OutputSink;
import io.execbox.machines.StreamKind;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class SessionIoHubTest {
  final AtomicReference<OutputSink> sink = new AtomicReference<>();
  final SessionIoHub hub = new SessionIoHub(new ExitsWithZero(), 1 << 20);
  final MachineRef ref = new MachineRef("sess_1", "m1", "sess-1");

  @AfterEach
  void close() {
    hub.close();
  }

  @Test
  void anOutputThatEndsWithAnErrorEndsTheJournalWithItNotWithTheExitCode() throws Exception {
    OutputJournal j = hub.attachBeforeStart(ref).journal();
    sink.get().onOutput(StreamKind.STDOUT, "partial".getBytes(StandardCharsets.UTF_8));
    sink.get().onEnd(new IOException("output may be incomplete: the log was rotated"));
    assertThat(awaitEnd(j, 7))
        .isEqualTo(new OutputJournal.Failed("output may be incomplete: the log was rotated"));
  }

  @Test
  void anOutputThatEndsWellEndsTheJournalWithTheExitCode() throws Exception {
    OutputJournal j = hub.attachBeforeStart(ref).journal();
    sink.get().onOutput(StreamKind.STDOUT, "all".getBytes(StandardCharsets.UTF_8));
    sink.get().onEnd(null);
    assertThat(awaitEnd(j, 3)).isEqualTo(new OutputJournal.Exited(0));
  }

  @Test
  void theDetachOfAStreamThisSideLetGoOfIsNoFailure() throws Exception {
    SessionStream s = hub.attachBeforeStart(ref);
    s.disconnect();
    sink.get().onEnd(new IOException("detached")); // what a channel says when it is closed
    assertThat(awaitEnd(s.journal(), 0)).isEqualTo(new OutputJournal.Exited(0));
  }

  /** Reads past {@code length} bytes of output until the journal's end, which it returns. */
  private static OutputJournal.Read awaitEnd(OutputJournal j, long length) throws Exception {
    long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (System.nanoTime() < until) {
      OutputJournal.Read r = j.read(length, 1 << 20);
      if (r instanceof OutputJournal.Exited || r instanceof OutputJournal.Failed) {
        return r;
      }
      Thread.sleep(10);
    }
    throw new AssertionError("the journal did not end");
  }

  /** A machine whose command has exited with 0; its channel hands its sink to the test. */
  final class ExitsWithZero implements MachineIo {
    @Override
    public IoChannel attach(MachineRef r, OutputSink s) {
      sink.set(s);
      return new IoChannel() {
        @Override
        public void writeStdin(byte[] data) {}

        @Override
        public void closeStdin() {}

        @Override
        public boolean stdinOpen() {
          return false;
        }

        @Override
        public void close() {}
      };
    }

    @Override
    public IoChannel replay(MachineRef r, OutputSink s) {
      return attach(r, s);
    }

    @Override
    public int awaitExit(MachineRef r, Duration timeout) {
      return 0;
    }
  }
}
