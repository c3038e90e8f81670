package io.execbox.machines.docker;

import static io.execbox.machines.docker.FrameReaderTest.concat;
import static io.execbox.machines.docker.FrameReaderTest.frame;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.execbox.machines.StreamKind;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class LogSourceTest {
  /** The whole log: stdout and stderr interleaved. */
  static final byte[] WHOLE =
      concat(
          frame(1, "one\n"),
          frame(2, "err-a\n"),
          frame(1, "two\n"),
          frame(1, "three\n"),
          frame(2, "err-b\n"));

  /** Serves {@code followed} on /follow and the whole log on /all, counting the latter. */
  static FakeEngine engine(byte[] followed, AtomicInteger wholeReads) throws IOException {
    return new FakeEngine(
        r -> {
          byte[] body = r.requestLine().contains("/follow") ? followed : WHOLE;
          if (!r.requestLine().contains("/follow")) {
            wholeReads.incrementAndGet();
          }
          r.answer("HTTP/1.1 200 OK\r\nContent-Length: " + body.length + "\r\n\r\n");
          r.out().write(body);
          r.out().flush();
        });
  }

  static final class Collected implements OutputSource.Frames {
    final ByteArrayOutputStream out = new ByteArrayOutputStream();
    final ByteArrayOutputStream err = new ByteArrayOutputStream();
    final List<String> order = new ArrayList<>();

    @Override
    public void accept(StreamKind kind, byte[] data) {
      (kind == StreamKind.STDOUT ? out : err).writeBytes(data);
      order.add(kind + ":" + new String(data, StandardCharsets.UTF_8));
    }
  }

  static Collected pump(byte[] followed, boolean follow, AtomicInteger wholeReads)
      throws Exception {
    try (FakeEngine e = engine(followed, wholeReads)) {
      DockerClient client = new DockerClient(e.host());
      LogSource source =
          new LogSource(
              client.stream("GET", follow ? "/follow" : "/all", null),
              follow,
              () -> client.stream("GET", "/all", null));
      Collected c = new Collected();
      source.pump(c);
      return c;
    }
  }

  @Test
  void aTruncatedFollowedLogIsCompletedFromTheWholeLog() throws Exception {
    // What Podman does when the container exits while the follower is behind.
    byte[] followed = concat(frame(1, "one\n"), frame(2, "err-a\n"), frame(1, "tw"));
    AtomicInteger reads = new AtomicInteger();
    Collected c = pump(followed, true, reads);
    assertThat(c.out.toString(StandardCharsets.UTF_8)).isEqualTo("one\ntwo\nthree\n");
    assertThat(c.err.toString(StandardCharsets.UTF_8)).isEqualTo("err-a\nerr-b\n");
    assertThat(c.order)
        .containsExactly(
            "STDOUT:one\n",
            "STDERR:err-a\n",
            "STDOUT:tw",
            "STDOUT:o\n",
            "STDOUT:three\n",
            "STDERR:err-b\n");
    assertThat(reads.get()).isEqualTo(1);
  }

  @Test
  void aCompleteFollowedLogGetsNothingTwice() throws Exception {
    Collected c = pump(WHOLE, true, new AtomicInteger());
    assertThat(c.out.toString(StandardCharsets.UTF_8)).isEqualTo("one\ntwo\nthree\n");
    assertThat(c.err.toString(StandardCharsets.UTF_8)).isEqualTo("err-a\nerr-b\n");
    assertThat(c.order).hasSize(5);
  }

  @Test
  void aFollowedLogThatDisagreesEndsInAnError() {
    byte[] followed = concat(frame(1, "one\n"), frame(1, "tXo\n"));
    assertThatThrownBy(() -> pump(followed, true, new AtomicInteger()))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("disagrees")
        .hasMessageContaining("stdout");
  }

  @Test
  void aFollowedLogLongerThanTheWholeLogEndsInAnError() {
    byte[] followed = concat(WHOLE, frame(2, "phantom\n"));
    assertThatThrownBy(() -> pump(followed, true, new AtomicInteger()))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("stderr");
  }

  @Test
  void anUnfollowedLogIsDeliveredAsItIs() throws Exception {
    AtomicInteger reads = new AtomicInteger();
    Collected c = pump(WHOLE, false, reads);
    assertThat(c.out.toString(StandardCharsets.UTF_8)).isEqualTo("one\ntwo\nthree\n");
    assertThat(reads.get()).isEqualTo(1);
  }
}
