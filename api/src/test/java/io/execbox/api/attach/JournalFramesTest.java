package io.execbox.api.attach;

import static org.assertj.core.api.Assertions.assertThat;

import io.execbox.machines.StreamKind;
import io.execbox.machines.io.OutputJournal;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.reactivestreams.Subscription;
import reactor.core.publisher.BaseSubscriber;

/** A journal as one client reads it: frames in order, at its own demand, with nothing hidden. */
class JournalFramesTest {
  static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static List<byte[]> all(OutputJournal j) {
    return JournalFrames.from(j).collectList().block(Duration.ofSeconds(5));
  }

  static String text(byte[] frame) {
    int len = ByteBuffer.wrap(frame, 1, 4).getInt();
    assertThat(frame).as("length field").hasSize(5 + len);
    return new String(frame, 5, len, StandardCharsets.UTF_8);
  }

  @Test
  void outputThenTheExitFrameKeepingStdoutAndStderrApart() {
    OutputJournal j = new OutputJournal(1024);
    j.append(StreamKind.STDOUT, bytes("out1"));
    j.append(StreamKind.STDERR, bytes("err"));
    j.append(StreamKind.STDOUT, bytes("out2"));
    j.complete(3);
    List<byte[]> frames = all(j);
    assertThat(frames).hasSize(4);
    assertThat(frames.get(0)).isEqualTo(FrameCodec.data(Frame.STDOUT, bytes("out1"), 0, 4));
    assertThat(frames.get(1)).isEqualTo(FrameCodec.data(Frame.STDERR, bytes("err"), 0, 3));
    assertThat(frames.get(2)).isEqualTo(FrameCodec.data(Frame.STDOUT, bytes("out2"), 0, 4));
    assertThat(frames.get(3)).containsExactly(0x04, 0, 0, 0, 3);
  }

  @Test
  void aSessionWithoutOutputIsJustItsExitFrame() {
    OutputJournal j = new OutputJournal(1024);
    j.complete(0);
    assertThat(all(j)).singleElement().isEqualTo(FrameCodec.exit(0));
  }

  @Test
  void bytesLostToRetentionAreAnnouncedBeforeWhatRemains() {
    OutputJournal j = new OutputJournal(4);
    j.append(StreamKind.STDOUT, bytes("123456"));
    j.complete(0);
    List<byte[]> frames = all(j);
    assertThat(frames).hasSize(3);
    assertThat(frames.get(0)[0]).isEqualTo(Frame.ERROR);
    assertThat(text(frames.get(0)))
        .isEqualTo(
            "2 bytes of output were dropped: they exceeded this session's retention limit"
                + " before this client read them");
    assertThat(text(frames.get(1))).isEqualTo("3456");
    assertThat(frames.get(2)).isEqualTo(FrameCodec.exit(0));
  }

  @Test
  void outputThatCouldNotBeFollowedEndsWithAnErrorFrameAndNoExit() {
    OutputJournal j = new OutputJournal(1024);
    j.append(StreamKind.STDOUT, bytes("partial"));
    j.fail("the log no longer begins with what was delivered");
    List<byte[]> frames = all(j);
    assertThat(frames).hasSize(2);
    assertThat(frames.get(1)[0]).isEqualTo(Frame.ERROR);
    assertThat(text(frames.get(1))).isEqualTo("the log no longer begins with what was delivered");
  }

  @Test
  void aLargeWriteIsCutIntoFramesOfAtMost64KiB() {
    OutputJournal j = new OutputJournal(1 << 20);
    byte[] big = new byte[100 * 1024];
    j.append(StreamKind.STDOUT, big);
    j.complete(0);
    List<byte[]> frames = all(j);
    assertThat(frames).hasSize(3);
    assertThat(frames.get(0)).hasSize(5 + JournalFrames.READ_BYTES);
    assertThat(frames.get(1)).hasSize(5 + big.length - JournalFrames.READ_BYTES);
  }

  /** Requests frames one at a time, when the test says so. */
  static final class Client extends BaseSubscriber<byte[]> {
    final List<byte[]> received = new CopyOnWriteArrayList<>();
    volatile boolean completed;

    @Override
    protected void hookOnSubscribe(Subscription s) {}

    @Override
    protected void hookOnNext(byte[] frame) {
      received.add(frame);
    }

    @Override
    protected void hookOnComplete() {
      completed = true;
    }
  }

  @Test
  void aClientGetsOnlyWhatItAskedForAndTheRestWhenItAsks() {
    OutputJournal j = new OutputJournal(1024);
    j.append(StreamKind.STDOUT, bytes("a"));
    j.append(StreamKind.STDOUT, bytes("b"));
    j.complete(0);
    Client c = new Client();
    JournalFrames.from(j).subscribe(c);
    assertThat(c.received).isEmpty();
    c.request(1);
    assertThat(c.received).hasSize(1);
    c.request(2);
    assertThat(c.received).hasSize(3);
    assertThat(c.completed).isTrue();
  }

  @Test
  void aClientThatDoesNotReadIsNotBufferedForButToldWhatItLost() {
    // the journal is the only buffer: a client without demand holds no copy of the output, so
    // what the retention bound discards meanwhile is announced to it, not kept for it in memory
    OutputJournal j = new OutputJournal(4);
    Client c = new Client();
    JournalFrames.from(j).subscribe(c);
    j.append(StreamKind.STDOUT, bytes("1234"));
    j.append(StreamKind.STDOUT, bytes("5678"));
    j.complete(0);
    assertThat(c.received).isEmpty();
    c.request(Long.MAX_VALUE);
    assertThat(c.received).hasSize(3);
    assertThat(text(c.received.get(0))).startsWith("4 bytes of output were dropped");
    assertThat(text(c.received.get(1))).isEqualTo("5678");
    assertThat(c.received.get(2)).isEqualTo(FrameCodec.exit(0));
  }

  @Test
  void liveOutputReachesAnAttachedClientAsItIsWritten() {
    OutputJournal j = new OutputJournal(1024);
    Client c = new Client();
    JournalFrames.from(j).subscribe(c);
    c.request(Long.MAX_VALUE);
    assertThat(c.received).isEmpty();
    j.append(StreamKind.STDERR, bytes("late"));
    assertThat(c.received).singleElement().satisfies(f -> assertThat(text(f)).isEqualTo("late"));
    assertThat(c.completed).isFalse();
    j.complete(7);
    assertThat(c.received).hasSize(2);
    assertThat(c.received.get(1)).isEqualTo(FrameCodec.exit(7));
    assertThat(c.completed).isTrue();
  }

  @Test
  void twoClientsReadTheWholeOutputEachAtItsOwnPace() {
    OutputJournal j = new OutputJournal(1024);
    Client slow = new Client();
    Client fast = new Client();
    JournalFrames.from(j).subscribe(slow);
    JournalFrames.from(j).subscribe(fast);
    fast.request(Long.MAX_VALUE);
    j.append(StreamKind.STDOUT, bytes("x"));
    j.append(StreamKind.STDOUT, bytes("y"));
    j.complete(0);
    assertThat(fast.received).hasSize(3);
    assertThat(slow.received).isEmpty();
    slow.request(Long.MAX_VALUE);
    assertThat(slow.received).hasSize(3);
    assertThat(text(slow.received.get(0))).isEqualTo("x");
  }
}
