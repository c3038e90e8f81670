package io.execbox.machines.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.execbox.machines.agent.AgentTestClient.Received;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Who may talk to the real agent, and how many at once. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AgentConnectionsIT {
  @Test
  void theAgentListensOnIpv6AddressesToo() throws Exception {
    try (LocalAgent agent =
            LocalAgent.start(
                "[::1]", InetAddress.getByName("::1"), List.of(), "sh", "-c", "echo v6");
        AgentTestClient c = agent.connect()) {
      c.resume(0);
      assertThat(c.readToExit(0, true).stdoutText()).isEqualTo("v6\n");
    }
  }

  @Test
  void aWrongSecretIsClosedWithoutAWord() throws Exception {
    try (LocalAgent agent = LocalAgent.start("sleep", "30");
        AgentTestClient c = agent.open()) {
      c.hello(LocalAgent.randomSecret());
      assertThat(c.closedByAgent()).isTrue();
    }
  }

  @Test
  void aSecretThatIsOnlyAPrefixOfTheRightOneIsClosed() throws Exception {
    try (LocalAgent agent = LocalAgent.start("sleep", "30");
        AgentTestClient c = agent.open()) {
      c.hello(agent.secret.substring(0, agent.secret.length() - 1));
      assertThat(c.closedByAgent()).isTrue();
    }
  }

  @Test
  void anythingButHelloFirstIsClosed() throws Exception {
    try (LocalAgent agent = LocalAgent.start("sleep", "30");
        AgentTestClient c = agent.open()) {
      c.resume(0);
      assertThat(c.closedByAgent()).isTrue();
    }
  }

  @Test
  void aConnectionThatDoesNotAuthenticateIsClosedAfterTenSeconds() throws Exception {
    try (LocalAgent agent = LocalAgent.start("sleep", "30");
        AgentTestClient c = agent.open()) {
      long start = System.nanoTime();
      assertThat(c.closedByAgent()).isTrue();
      assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isBetween(9000L, 15000L);
    }
  }

  @Test
  void aSecondResumeMovesTheCursorAndTheExitComesAgain() throws Exception {
    try (LocalAgent agent = LocalAgent.start("sh", "-c", "echo one; echo two");
        AgentTestClient c = agent.connect()) {
      c.resume(0);
      Received first = new Received(0);
      while (first.exit == null) {
        first.take(c.next());
      }
      c.resume(4);
      Received again = c.readToExit(4, true);
      assertThat(again.stdoutText()).isEqualTo("two\n");
      assertThat(again.exit).isEqualTo(first.exit);
    }
  }

  @Test
  void aNinthConnectionIsClosedAtOnceAndItsSlotComesBack() throws Exception {
    try (LocalAgent agent = LocalAgent.start("sleep", "30")) {
      List<AgentTestClient> eight = new ArrayList<>();
      try {
        for (int i = 0; i < 8; i++) {
          eight.add(agent.connect());
        }
        try (AgentTestClient ninth = agent.open()) {
          ninth.hello(agent.secret);
          assertThat(ninth.closedByAgent()).isTrue();
        }
        eight.remove(0).close();
        try (AgentTestClient again = agent.connect()) {
          assertThat(again.welcome.pid()).isPositive();
        }
      } finally {
        for (AgentTestClient c : eight) {
          c.close();
        }
      }
    }
  }

  @Test
  void eachConnectionReadsFromItsOwnCursor() throws Exception {
    try (LocalAgent agent = LocalAgent.start("sh", "-c", "echo one; echo two; cat");
        AgentTestClient a = agent.connect();
        AgentTestClient b = agent.connect()) {
      a.resume(0);
      Received ra = new Received(0);
      while (!ra.stdoutText().equals("one\ntwo\n")) {
        ra.take(a.next());
      }
      b.resume(4);
      Received rb = new Received(4);
      while (!rb.stdoutText().equals("two\n")) {
        rb.take(b.next());
      }
      b.closeStdin(); // b authenticated last: stdin is its to write
      while (ra.exit == null) {
        ra.take(a.next());
      }
      while (rb.exit == null) {
        rb.take(b.next());
      }
      assertThat(ra.exit).isEqualTo(rb.exit);
    }
  }

  @Test
  void stdinIsTakenOnlyFromTheConnectionThatAuthenticatedLast() throws Exception {
    try (LocalAgent agent = LocalAgent.start("sh", "-c", "read x; echo got $x");
        AgentTestClient older = agent.connect();
        AgentTestClient newer = agent.connect()) {
      older.stdin("old\n".getBytes(StandardCharsets.UTF_8));
      AgentFrame f = older.next();
      assertThat(f.type()).as("frame %s", f).isEqualTo(AgentFrames.ERROR);
      assertThat(AgentFrames.error(f.payload()))
          .isEqualTo("stdin is written by a newer connection");
      newer.stdin("new\n".getBytes(StandardCharsets.UTF_8));
      newer.resume(0);
      Received r = new Received(0);
      while (r.exit == null) {
        r.take(newer.next());
      }
      assertThat(r.stdoutText()).isEqualTo("got new\n");
    }
  }

  @Test
  void aConnectionThatDoesNotReadHoldsUpNeitherTheCommandNorTheOthers() throws Exception {
    try (LocalAgent agent = LocalAgent.start("head", "-c", "40000000", "/dev/zero");
        AgentTestClient stuck = agent.connect();
        AgentTestClient reader = agent.connect()) {
      stuck.resume(0); // and never reads: its socket fills up
      reader.resume(0);
      Received r = reader.readToExit(0, true, false);
      assertThat(r.exit).isEqualTo(new AgentFrames.Exit(40_000_000, 0));
      assertThat(agent.exitCode(Duration.ofSeconds(10))).isZero();
    }
  }

  @Test
  void requestsThatCannotBeDoneAreAnsweredWithErrorsAndTheConnectionGoesOn() throws Exception {
    try (LocalAgent agent = LocalAgent.start("sh", "-c", "read x; echo got $x");
        AgentTestClient c = agent.connect()) {
      AgentFrames.write(c.socket.getOutputStream(), AgentFrames.SIGNAL, 5, AgentFrames.signal(15));
      c.send(0x7e, new byte[] {1, 2, 3});
      c.send(AgentFrames.ACK, new byte[3]);
      c.resume(1000);
      List<String> errors = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        AgentFrame f = c.next();
        assertThat(f.type()).as("frame %s", f).isEqualTo(AgentFrames.ERROR);
        errors.add(AgentFrames.error(f.payload()));
      }
      assertThat(errors)
          .containsExactly(
              "unknown channel",
              "unknown frame type",
              "bad frame length",
              "resume offset beyond the output");
      c.stdin("x\n".getBytes(StandardCharsets.UTF_8));
      Received r = new Received(0);
      while (r.exit == null) {
        r.take(c.next());
      }
      assertThat(r.stdoutText()).isEqualTo("got x\n");
    }
  }
}
