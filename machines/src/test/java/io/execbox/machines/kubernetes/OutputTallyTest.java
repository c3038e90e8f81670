package io.execbox.machines.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class OutputTallyTest {
  static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void theTailIsWhatTheLogHasBeyondTheAttachInAnyInterleaving() {
    OutputTally t = new OutputTally();
    t.add(b("out\n"), 0, 4); // stdout
    t.add(b("err\n"), 0, 4); // stderr, merged before stdout in the log
    assertThat(t.tail(b("err\nout\nbye\n"))).isEqualTo(b("bye\n"));
    assertThat(t.tail(b("out\nerr\n"))).isEmpty();
  }

  @Test
  void aLogThatDoesNotBeginWithTheAttachedBytesIsRefused() {
    OutputTally t = new OutputTally();
    t.add(b("xxhello\n"), 2, 6);
    assertThat(t.tail(b("hell"))).as("shorter: rotated").isNull();
    assertThat(t.tail(b("world\nhello\n"))).as("other bytes first").isNull();
    assertThat(t.count()).isEqualTo(6);
  }
}
