package io.execbox.machines.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.execbox.machines.agent.AgentTestClient.Received;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The command's life under the real agent: its exit, signals, orphans, and the agent's own end. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class AgentLifecycleIT {
  @TempDir Path tmp;

  static Received run(LocalAgent agent) throws Exception {
    try (AgentTestClient c = agent.connect()) {
      c.resume(0);
      return c.readToExit(0, true);
    }
  }

  @Test
  void usageErrorsExit125WithOneLineOnStderr() throws Exception {
    String secret = LocalAgent.randomSecret();
    List<List<String>> bad =
        List.of(
            List.of(),
            List.of("--"),
            List.of("--bogus", "x", "--", "true"),
            List.of("--retain", "0", "--", "true"),
            List.of("--retain", "12k", "--", "true"),
            List.of("--linger", "-1", "--", "true"),
            List.of("--listen", "localhost:7070", "--", "true"),
            List.of("--listen", "127.0.0.1", "--", "true"),
            List.of("--listen", "[::1]:70000", "--", "true"),
            List.of("--listen"));
    for (List<String> args : bad) {
      assertThat(runBinary(args, secret)).as("%s", args).matches("125 execbox-agent: [^\n]*\n");
    }
    assertThat(runBinary(List.of("--", "true"), null))
        .startsWith("125 execbox-agent: EXECBOX_AGENT_SECRET is not set");
    assertThat(runBinary(List.of("--", "true"), "short"))
        .startsWith("125 execbox-agent: EXECBOX_AGENT_SECRET must have 16 to 1024 bytes");
  }

  /** Runs the binary to its end; its exit code, a space and its stderr. */
  static String runBinary(List<String> args, String secret) throws Exception {
    List<String> command = new java.util.ArrayList<>(List.of(LocalAgent.binary().toString()));
    command.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD);
    pb.environment().remove("EXECBOX_AGENT_SECRET");
    if (secret != null) {
      pb.environment().put("EXECBOX_AGENT_SECRET", secret);
    }
    Process p = pb.start();
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
    return p.exitValue() + " " + err;
  }

  @Test
  void exitCodesAreReportedAndBecomeTheAgentsOwn() throws Exception {
    for (int code : new int[] {0, 3}) {
      try (LocalAgent agent = LocalAgent.start("sh", "-c", "echo hi; exit " + code)) {
        Received r = run(agent);
        assertThat(r.stdoutText()).isEqualTo("hi\n");
        assertThat(r.exit.code()).isEqualTo(code);
        assertThat(agent.exitCode(Duration.ofSeconds(10))).isEqualTo(code);
      }
    }
  }

  @Test
  void aSignalFrameKillsTheCommandAndItsExitIs128PlusTheSignal() throws Exception {
    try (LocalAgent agent = LocalAgent.start("sleep", "30");
        AgentTestClient c = agent.connect()) {
      assertThat(c.welcome.pid()).isPositive();
      c.signal(15);
      c.resume(0);
      Received r = c.readToExit(0, true);
      assertThat(r.exit.code()).isEqualTo(143);
      assertThat(agent.exitCode(Duration.ofSeconds(10))).isEqualTo(143);
    }
  }

  @Test
  void aCommandThatTrapsTheSignalKeepsItsOutputAndItsOwnCode() throws Exception {
    try (LocalAgent agent =
            LocalAgent.start(
                "sh",
                "-c",
                "trap 'echo bye; exit 7' TERM; echo ready; while :; do sleep 0.1; done");
        AgentTestClient c = agent.connect()) {
      c.resume(0);
      Received r = new Received(0);
      while (!r.stdoutText().equals("ready\n")) {
        r.take(c.next());
      }
      c.signal(15);
      while (r.exit == null) {
        r.take(c.next());
      }
      assertThat(r.stdoutText()).isEqualTo("ready\nbye\n");
      assertThat(r.exit.code()).isEqualTo(7);
    }
  }

  @Test
  void aSigtermToTheAgentIsPassedToTheCommand() throws Exception {
    try (LocalAgent agent = LocalAgent.start("sleep", "30");
        AgentTestClient c = agent.connect()) {
      agent.process.destroy(); // SIGTERM, as a runtime stopping the machine sends it
      c.resume(0);
      Received r = c.readToExit(0, true);
      assertThat(r.exit.code()).isEqualTo(143);
      assertThat(agent.exitCode(Duration.ofSeconds(10))).isEqualTo(143);
    }
  }

  @Test
  void aSignalAfterTheExitIsAnErrorNotAKill() throws Exception {
    try (LocalAgent agent = LocalAgent.start("true");
        AgentTestClient c = agent.connect()) {
      c.resume(0);
      Received r = new Received(0);
      while (r.exit == null) {
        r.take(c.next());
      }
      c.signal(9);
      r.take(c.next());
      assertThat(r.errors).containsExactly("the process has exited");
    }
  }

  @Test
  void aCommandThatDoesNotExistExits127WithTheReasonOnStderr() throws Exception {
    try (LocalAgent agent = LocalAgent.start("no-such-command-for-execbox")) {
      Received r = run(agent);
      assertThat(r.exit.code()).isEqualTo(127);
      assertThat(r.stdoutText()).isEmpty();
      assertThat(r.stderrText())
          .isEqualTo(
              "execbox-agent: cannot run no-such-command-for-execbox: No such file or directory\n");
      assertThat(agent.exitCode(Duration.ofSeconds(10))).isEqualTo(127);
    }
  }

  @Test
  void aCommandThatIsNotExecutableExits126() throws Exception {
    Path script = tmp.resolve("not-executable");
    Files.writeString(script, "#!/bin/sh\necho never\n");
    Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rw-------"));
    try (LocalAgent agent = LocalAgent.start(script.toString())) {
      Received r = run(agent);
      assertThat(r.exit.code()).isEqualTo(126);
      assertThat(r.stderrText())
          .isEqualTo("execbox-agent: cannot run " + script + ": Permission denied\n");
    }
  }

  @Test
  void theAgentWaitsForTheAckOfTheEndBeforeItExits() throws Exception {
    try (LocalAgent agent = LocalAgent.start("sh", "-c", "echo done; exit 5");
        AgentTestClient c = agent.connect()) {
      c.resume(0);
      Received r = new Received(0);
      while (r.exit == null) {
        r.take(c.next());
      }
      LocalAgent.sleep(Duration.ofMillis(500));
      assertThat(agent.process.isAlive()).as("the agent before the ACK").isTrue();
      c.ack(r.exit.end() - 1);
      LocalAgent.sleep(Duration.ofMillis(300));
      assertThat(agent.process.isAlive()).as("the agent after an ACK short of the end").isTrue();
      c.ack(r.exit.end());
      assertThat(agent.exitCode(Duration.ofSeconds(5))).isEqualTo(5);
      assertThat(c.closedByAgent()).isTrue();
    }
  }

  @Test
  void anAckOfTheEndOnAConnectionThatWasNotSentTheExitDoesNotEndTheAgent() throws Exception {
    try (LocalAgent agent = LocalAgent.start("sh", "-c", "echo done; exit 6");
        AgentTestClient a = agent.connect();
        AgentTestClient b = agent.connect()) {
      a.resume(0);
      Received r = new Received(0);
      while (r.exit == null) {
        r.take(a.next());
      }
      b.ack(r.exit.end()); // b never resumed: it was not sent the EXIT
      LocalAgent.sleep(Duration.ofMillis(500));
      assertThat(agent.process.isAlive()).as("the agent after b's ACK").isTrue();
      a.ack(r.exit.end());
      assertThat(agent.exitCode(Duration.ofSeconds(5))).isEqualTo(6);
    }
  }

  @Test
  void withoutAnAckTheAgentExitsAfterItsLinger() throws Exception {
    long start = System.nanoTime();
    try (LocalAgent agent = LocalAgent.start(List.of("--linger", "1"), "sh", "-c", "exit 4")) {
      assertThat(agent.exitCode(Duration.ofSeconds(10))).isEqualTo(4);
      long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      assertThat(ms).as("ms from start to the agent's exit").isBetween(1000L, 5000L);
    }
  }

  @Test
  void orphansComeToTheAgentAndAreReaped() throws Exception {
    // the inner shell exits at once: its sleep is an orphan, whose parent becomes the agent
    String script =
        "p=$(sh -c 'sleep 0.5 >/dev/null 2>&1 & echo $!'); echo $p;"
            + " sleep 0.2; sed -n 's/^PPid:[[:space:]]*//p' /proc/$p/status;"
            + " sleep 1.5; if [ -e /proc/$p ]; then sed -n 's/^State:/state/p' /proc/$p/status;"
            + " else echo reaped; fi";
    try (LocalAgent agent = LocalAgent.start("sh", "-c", script)) {
      Received r = run(agent);
      String[] lines = r.stdoutText().split("\n");
      assertThat(lines).hasSize(3);
      assertThat(lines[1]).as("the orphan's parent").isEqualTo(String.valueOf(agent.process.pid()));
      assertThat(lines[2]).as("the orphan after its exit").isEqualTo("reaped");
    }
  }

  @Test
  void aBackgroundProcessHoldingThePipesDoesNotHoldBackTheExitAndDiesWithTheAgent()
      throws Exception {
    try (LocalAgent agent = LocalAgent.start("sh", "-c", "sleep 300 & echo $!")) {
      long start = System.nanoTime();
      Received r = run(agent);
      assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(5000);
      long sleeper = Long.parseLong(r.stdoutText().trim());
      assertThat(agent.exitCode(Duration.ofSeconds(10))).isZero();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      while (alive(sleeper) && System.nanoTime() < deadline) {
        LocalAgent.sleep(Duration.ofMillis(50));
      }
      assertThat(alive(sleeper)).as("the background sleep after the agent's exit").isFalse();
    }
  }

  @Test
  void theCommandSeesNoAgentVariableAndTheSecretLeavesTheAgentsEnvironment() throws Exception {
    try (LocalAgent agent =
        LocalAgent.start("sh", "-c", "env | grep -c '^EXECBOX_AGENT_' || true; cat")) {
      try (AgentTestClient c = agent.connect()) {
        c.resume(0);
        Received r = new Received(0);
        while (!r.stdoutText().endsWith("\n")) {
          r.take(c.next());
        }
        assertThat(r.stdoutText()).isEqualTo("0\n");
        byte[] environ = Files.readAllBytes(Path.of("/proc/" + agent.process.pid() + "/environ"));
        assertThat(new String(environ, StandardCharsets.ISO_8859_1))
            .contains("EXECBOX_AGENT_SECRET=")
            .doesNotContain(agent.secret);
      }
    }
  }

  /** Alive and not a zombie. */
  static boolean alive(long pid) {
    try {
      String status = Files.readString(Path.of("/proc/" + pid + "/status"));
      return !status.contains("State:\tZ");
    } catch (java.io.IOException gone) {
      return false;
    }
  }
}
