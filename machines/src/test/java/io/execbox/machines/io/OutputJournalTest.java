package io.execbox.machines.io;

import static org.assertj.core.api.Assertions.assertThat;

import io.execbox.machines.StreamKind;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class OutputJournalTest {
  private static byte[] b(String s) {
    return s.getBytes();
  }

  @Test
  void readersReadFromTheirOwnCursorInOrder() {
    OutputJournal j = new OutputJournal(100);
    j.append(StreamKind.STDOUT, b("ab"));
    j.append(StreamKind.STDERR, b("cd"));
    var r = (OutputJournal.Data) j.read(0, 1000);
    assertThat(r.chunks())
        .extracting(OutputJournal.Chunk::kind)
        .containsExactly(StreamKind.STDOUT, StreamKind.STDERR);
    assertThat(r.next()).isEqualTo(4);
    var partial = (OutputJournal.Data) j.read(1, 2);
    assertThat(partial.chunks()).hasSize(2);
    assertThat(new String(partial.chunks().get(0).data())).isEqualTo("b");
    assertThat(new String(partial.chunks().get(1).data())).isEqualTo("c");
    assertThat(partial.next()).isEqualTo(3);
    assertThat(j.read(4, 10)).isInstanceOf(OutputJournal.Idle.class);
  }

  @Test
  void endsWithTheExitAfterTheLastByte() {
    OutputJournal j = new OutputJournal(100);
    j.append(StreamKind.STDOUT, b("x"));
    j.complete(3);
    assertThat(j.read(0, 10)).isInstanceOf(OutputJournal.Data.class);
    assertThat(j.read(1, 10)).isEqualTo(new OutputJournal.Exited(3));
    j.append(StreamKind.STDOUT, b("late"));
    assertThat(j.read(1, 10)).isEqualTo(new OutputJournal.Exited(3));
  }

  @Test
  void bytesTheMachineCouldNoLongerGiveAreCountedAsDroppedAndTheOffsetsGoOnAfterThem() {
    OutputJournal j = new OutputJournal(100);
    j.append(StreamKind.STDOUT, b("abc"));
    j.skip(10);
    j.append(StreamKind.STDERR, b("de"));
    // a reader at the start is told of everything before the first byte it can still get
    assertThat(j.read(0, 100)).isEqualTo(new OutputJournal.Dropped(13, 13));
    var d = (OutputJournal.Data) j.read(13, 100);
    assertThat(new String(d.chunks().get(0).data())).isEqualTo("de");
    assertThat(d.chunks().get(0).kind()).isEqualTo(StreamKind.STDERR);
    assertThat(d.next()).isEqualTo(15);
    assertThat(j.dropped()).isEqualTo(13);
  }

  @Test
  void dropsTheOldestBytesBeyondRetentionAndCountsThem() {
    OutputJournal j = new OutputJournal(5);
    j.append(StreamKind.STDOUT, b("0123"));
    j.append(StreamKind.STDERR, b("4567"));
    assertThat(j.dropped()).isEqualTo(3);
    assertThat(j.read(0, 100)).isEqualTo(new OutputJournal.Dropped(3, 3));
    var d = (OutputJournal.Data) j.read(3, 100);
    assertThat(new String(d.chunks().get(0).data())).isEqualTo("3");
    assertThat(new String(d.chunks().get(1).data())).isEqualTo("4567");
    j.append(StreamKind.STDOUT, b("0123456789"));
    assertThat(j.dropped()).isEqualTo(13);
    var tail = (OutputJournal.Data) j.read(13, 100);
    assertThat(new String(tail.chunks().get(0).data())).isEqualTo("56789");
  }

  @Test
  void listenersHearEveryChange() {
    OutputJournal j = new OutputJournal(10);
    AtomicInteger n = new AtomicInteger();
    Runnable off = j.onChange(n::incrementAndGet);
    j.append(StreamKind.STDOUT, b("a"));
    j.complete(0);
    assertThat(n.get()).isEqualTo(2);
    off.run();
    j.fail("x");
    assertThat(n.get()).isEqualTo(2);
  }

  @Test
  void archiveKeepsOffsetsAfterTheDroppedBytes() {
    OutputJournal j =
        OutputJournal.ofArchive(
            10, 7, List.of(new OutputJournal.Chunk(0, StreamKind.STDOUT, b("abc"))));
    j.complete(1);
    assertThat(j.read(0, 100)).isEqualTo(new OutputJournal.Dropped(7, 7));
    assertThat(((OutputJournal.Data) j.read(7, 100)).next()).isEqualTo(10);
    assertThat(j.read(10, 100)).isEqualTo(new OutputJournal.Exited(1));
  }

  @Test
  void failureEndsReaders() {
    OutputJournal j = new OutputJournal(10);
    j.fail("lost");
    assertThat(j.read(0, 10)).isEqualTo(new OutputJournal.Failed("lost"));
  }
}
