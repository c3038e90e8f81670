package io.execbox.machines.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.execbox.machines.agent.AgentTestClient.Received;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The command's stdin through the real agent: written as it reads, ended by a real EOF. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class AgentStdinIT {
  static final int KIB = 1024;

  @Test
  void stdinIsEchoedAndItsCloseIsARealEndOfFile() throws Exception {
    try (LocalAgent agent = LocalAgent.start("sh", "-c", "cat; echo after >&2");
        AgentTestClient c = agent.connect()) {
      c.resume(0);
      c.stdin("hello\n".getBytes(StandardCharsets.UTF_8));
      Received r = new Received(0);
      while (!r.stdoutText().equals("hello\n")) {
        r.take(c.next());
      }
      c.stdin("again\n".getBytes(StandardCharsets.UTF_8));
      while (!r.stdoutText().equals("hello\nagain\n")) {
        r.take(c.next());
      }
      assertThat(r.stderrText()).as("stderr before the end of stdin").isEmpty();
      c.closeStdin();
      while (r.exit == null) {
        r.take(c.next());
      }
      assertThat(r.runs).containsExactly("1:hello\nagain\n", "2:after\n");
      assertThat(r.taken).isEqualTo(12);
      assertThat(r.exit.code()).isZero();
    }
  }

  @Test
  void aReconnectingControlPlaneLearnsHowMuchStdinWasTakenRightAfterWelcome() throws Exception {
    try (LocalAgent agent = LocalAgent.start("sh", "-c", "cat; sleep 30")) {
      try (AgentTestClient a = agent.connect()) {
        a.stdin("abc\n".getBytes(StandardCharsets.UTF_8));
        a.resume(0);
        Received r = new Received(0);
        while (!r.stdoutText().equals("abc\n")) {
          r.take(a.next());
        }
      }
      try (AgentTestClient b = agent.connect()) {
        AgentFrame f = b.next();
        assertThat(f.type()).isEqualTo(AgentFrames.STDIN_TAKEN);
        assertThat(AgentFrames.stdinTaken(f.payload())).isEqualTo(4);
      }
    }
  }

  @Test
  void fourMebibytesThroughTheWindowReachTheCommandWhole() throws Exception {
    byte[] data = new byte[4 * 1024 * KIB];
    new Random(13).nextBytes(data);
    String sha = HexFormat.of().formatHex(AgentTestClient.sha256().digest(data));
    // the command reads nothing for a second, then everything: the agent must hold, then pace
    try (LocalAgent agent = LocalAgent.start("sh", "-c", "sleep 1; sha256sum");
        AgentTestClient c = agent.connect()) {
      c.resume(0);
      Received r = new Received(0);
      long sent = 0;
      long mostAhead = 0;
      int takenReports = 0;
      while (sent < data.length) {
        int n = (int) Math.min(64 * KIB, data.length - sent);
        if (sent + n - Math.max(r.taken, 0) > AgentFrames.STDIN_WINDOW) {
          long before = r.taken;
          r.take(c.next());
          if (r.taken != before) {
            takenReports++;
          }
          continue;
        }
        c.send(AgentFrames.STDIN, AgentFrames.stdin(data, (int) sent, n));
        sent += n;
        mostAhead = Math.max(mostAhead, sent - Math.max(r.taken, 0));
      }
      while (r.taken < data.length) {
        r.take(c.next());
      }
      c.closeStdin();
      while (r.exit == null) {
        r.take(c.next());
      }
      assertThat(r.errors).isEmpty();
      assertThat(r.taken).isEqualTo(data.length);
      assertThat(mostAhead).as("stdin sent ahead of STDIN_TAKEN").isEqualTo(1024 * KIB);
      assertThat(takenReports).as("STDIN_TAKEN reports the client waited for").isPositive();
      assertThat(r.stdoutText()).startsWith(sha);
      assertThat(r.exit.code()).isZero();
    }
  }

  @Test
  void stdinPastTheWindowIsRefusedAndTheConnectionClosed() throws Exception {
    try (LocalAgent agent = LocalAgent.start("sh", "-c", "sleep 30");
        AgentTestClient c = agent.connect()) {
      byte[] chunk = new byte[64 * KIB];
      // the pipe holds 64 KiB, the agent 1 MiB: the 18th chunk is more than it may hold
      for (int i = 0; i < 18; i++) {
        c.stdin(chunk);
      }
      Received r = new Received(0);
      for (AgentFrame f = c.next(); f != null; f = c.next()) {
        r.take(f);
      }
      assertThat(r.errors).singleElement().asString().contains("window");
      assertThat(r.taken).isEqualTo(64 * KIB);
    }
  }

  @Test
  void stdinAfterItsCloseIsAnError() throws Exception {
    try (LocalAgent agent = LocalAgent.start("sh", "-c", "cat >/dev/null; sleep 30");
        AgentTestClient c = agent.connect()) {
      c.closeStdin();
      c.stdin("late".getBytes(StandardCharsets.UTF_8));
      AgentFrame f = c.next();
      assertThat(f.type()).isEqualTo(AgentFrames.ERROR);
      assertThat(AgentFrames.error(f.payload())).isEqualTo("stdin is closed");
      // and the connection goes on
      c.signal(15);
      c.resume(0);
      Received r = c.readToExit(0, true);
      assertThat(r.exit.code()).isEqualTo(143);
      assertThat(agent.exitCode(Duration.ofSeconds(10))).isEqualTo(143);
    }
  }
}
