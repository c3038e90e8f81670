package io.execbox.machines.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.execbox.machines.agent.AgentTestClient.Received;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;

/**
 * The agent as PID 1 of a Podman container, on the host's network so that the test reaches its
 * loopback port, in the test image (busybox) that has nothing the agent needs.
 */
@EnabledIfEnvironmentVariable(
    named = "DOCKER_HOST",
    matches = ".*\\S.*",
    disabledReason =
        "DOCKER_HOST is unset: the Podman of scripts/podman.sh runs AgentPid1IT (podman CLI, image"
            + " localhost/execbox-test/busybox)")
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class AgentPid1IT {
  static final String IMAGE = "localhost/execbox-test/busybox:latest";

  @Test
  void asPid1ItReapsOrphansPassesAStopOnAndExitsWithTheCommandsCode() throws Exception {
    String name = "execbox-agent-it-" + UUID.randomUUID().toString().substring(0, 8);
    String script =
        "echo parent $PPID; p=$(sh -c 'sleep 0.3 >/dev/null 2>&1 & echo $!'); sleep 1;"
            + " if [ -e /proc/$p ]; then echo orphan $(sed -n 's/^State:\\t//p' /proc/$p/status);"
            + " else echo orphan reaped; fi;"
            + " cat /proc/1/environ >/dev/null 2>&1 || echo secret unreadable;"
            + " trap 'echo stopped; exit 3' TERM; echo ready; while :; do sleep 0.1; done";
    try (LocalAgent agent =
            LocalAgent.start(
                args -> podmanRun(name, args),
                "127.0.0.1",
                InetAddress.getLoopbackAddress(),
                List.of(),
                "sh",
                "-c",
                script);
        AgentTestClient c = agent.connect()) {
      try {
        c.resume(0);
        Received r = new Received(0);
        while (!r.stdoutText().endsWith("ready\n")) {
          r.take(c.next());
        }
        assertThat(r.stdoutText()).isEqualTo("parent 1\norphan reaped\nsecret unreadable\nready\n");
        // the runtime stops the machine: SIGTERM to PID 1, passed on to the command
        Process stop = new ProcessBuilder("podman", "stop", "-t", "30", name).start();
        while (r.exit == null) {
          r.take(c.next());
        }
        assertThat(r.stdoutText()).endsWith("ready\nstopped\n");
        assertThat(r.exit.code()).isEqualTo(3);
        c.ack(r.exit.end());
        assertThat(agent.exitCode(Duration.ofSeconds(30))).as("podman run's exit").isEqualTo(3);
        stop.waitFor(30, TimeUnit.SECONDS);
      } finally {
        remove(name);
      }
    }
  }

  @Test
  void anOomKillIsFlaggedInTheExitAndAPlainSigkillIsNot() throws Exception {
    // a shell child that the OOM killer ends: the shell itself says 137, the flag tells why
    AgentFrames.Exit oom = exitOf("--memory=64m", "dd if=/dev/zero of=/dev/null bs=200M count=1");
    assertThat(oom.code()).isEqualTo(137);
    assertThat(oom.oomKilled()).as("flagged").isTrue();
    AgentFrames.Exit killed = exitOf("--memory=64m", "kill -9 $$");
    assertThat(killed.code()).isEqualTo(137);
    assertThat(killed.oomKilled()).as("a plain SIGKILL is not an OOM kill").isFalse();
  }

  private static AgentFrames.Exit exitOf(String limit, String script) throws Exception {
    String name = "execbox-agent-it-" + UUID.randomUUID().toString().substring(0, 8);
    try (LocalAgent agent =
            LocalAgent.start(
                args -> podmanRun(name, args, limit),
                "127.0.0.1",
                InetAddress.getLoopbackAddress(),
                List.of(),
                "sh",
                "-c",
                script);
        AgentTestClient c = agent.connect()) {
      try {
        c.resume(0);
        return c.readToExit(0, true).exit;
      } finally {
        remove(name);
      }
    }
  }

  private static void remove(String container) throws Exception {
    new ProcessBuilder("podman", "rm", "-f", container)
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.DISCARD)
        .start()
        .waitFor(30, TimeUnit.SECONDS);
  }

  private static List<String> podmanRun(String name, List<String> args, String... options) {
    List<String> line =
        new ArrayList<>(
            List.of(
                "podman",
                "run",
                "--rm",
                "--name",
                name,
                "--network",
                "host",
                "-e",
                "EXECBOX_AGENT_SECRET"));
    line.addAll(List.of(options));
    line.addAll(List.of("-v", LocalAgent.binary() + ":/agent:ro", IMAGE, "/agent"));
    line.addAll(args);
    return line;
  }
}
