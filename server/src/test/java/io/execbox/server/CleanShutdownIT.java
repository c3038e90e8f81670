package io.execbox.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Stopping the server with SIGTERM is orderly (issue 14, finding 8): the built jar, run as a user
 * runs it (its own embedded PostgreSQL, the local container runtime), with sessions running, an
 * attach open and clients asking, stops within a bound and logs no warning and no error while it
 * does — no {@code Async resource cleanup failed after cancel}, no connection errors of the R2DBC
 * pool, no backend call failing because the database went first.
 */
class CleanShutdownIT {
  static final String KEY = "sk_shutdown_test_key_0123456789_abcdefghij";
  static final Pattern WARN_OR_ERROR = Pattern.compile("^\\S+\\s+(WARN|ERROR)\\b");

  @Test
  void sigtermStopsTheServerWithinABoundAndLogsNoWarningOrError(@TempDir Path dir)
      throws Exception {
    Path log = dir.resolve("server.log");
    ProcessBuilder pb =
        new ProcessBuilder("java", "-jar", Path.of("target", "execbox-server.jar").toString())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    pb.environment().put("EXECBOX_DATA_DIR", dir.resolve("data").toString());
    pb.environment().put("EXECBOX_BOOTSTRAP_KEY", KEY);
    pb.environment().put("EXECBOX_STOP_GRACE", "2s");
    int port = freePort();
    pb.environment().put("SERVER_PORT", String.valueOf(port));
    pb.environment().put("MANAGEMENT_SERVER_PORT", "0");
    Process server = pb.start();
    List<String> sessions = new java.util.ArrayList<>();
    try {
      awaitStart(log, server);
      String base = "http://127.0.0.1:" + port;
      Client c = new Client(base, KEY);
      String done = c.create(Client.sh("echo hi"));
      Client.Attach a = c.attach(done);
      assertThat(a.awaitClose(Duration.ofSeconds(30))).isEqualTo(1000);
      assertThat(a.out()).isEqualTo("hi\n");
      for (int i = 0; i < 3; i++) {
        sessions.add(c.create(Client.sh("sleep 60")));
      }
      String running = c.create(Client.sh("echo started; sleep 60"));
      sessions.add(running);
      c.awaitStatus(running, Duration.ofSeconds(30), "running");
      Client.Attach held = c.attach(running);
      long until = System.nanoTime() + Duration.ofSeconds(15).toNanos();
      while (!held.out().equals("started\n") && System.nanoTime() < until) {
        Client.sleep(50);
      }
      assertThat(held.out()).isEqualTo("started\n");
      // a session ending just as the server stops: its end is recorded while everything closes
      c.post("/v1/sessions/" + running + "/stop", null);

      // clients keep asking while the server stops
      Thread traffic =
          new Thread(
              () -> {
                while (!Thread.currentThread().isInterrupted()) {
                  try {
                    Client.raw(base, "GET", "/v1/sessions", null, KEY);
                  } catch (AssertionError | RuntimeException e) {
                    Client.sleep(20);
                  }
                }
              });
      traffic.setDaemon(true);
      traffic.start();
      Client.sleep(300);
      long before = Files.size(log);
      server.destroy(); // SIGTERM, as a service manager or the kubelet sends it
      long sigterm = System.nanoTime();
      boolean exited = server.waitFor(40, TimeUnit.SECONDS);
      traffic.interrupt();
      assertThat(exited).as("the server exited within 40 s of SIGTERM").isTrue();
      System.out.printf(
          "CleanShutdownIT: exited %d ms after SIGTERM%n",
          Duration.ofNanos(System.nanoTime() - sigterm).toMillis());

      String all = new String(Files.readAllBytes(log), StandardCharsets.UTF_8);
      // from the start of the line being written at the SIGTERM
      String after = all.substring(all.lastIndexOf('\n', (int) before - 1) + 1);
      System.out.println("CleanShutdownIT: the server's log after SIGTERM:\n" + after);
      List<String> bad =
          after.lines().filter(l -> WARN_OR_ERROR.matcher(l).find()).collect(Collectors.toList());
      assertThat(bad).as("warnings and errors logged after SIGTERM:\n%s", after).isEmpty();
      assertThat(after).as("the shutdown was logged").contains("Commencing graceful shutdown");
    } finally {
      server.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
      // the stopped server left its sessions' containers to the next start, which never comes
      for (String id : sessions) {
        removeContainer(id);
      }
    }
  }

  /** Removes a session's container through the runtime's API (as the backend names it). */
  private static void removeContainer(String sessionId) throws Exception {
    String socket = System.getenv("DOCKER_HOST").replaceFirst("^unix://", "");
    String name = "execbox-" + sessionId.replace('_', '-');
    new ProcessBuilder(
            "curl",
            "-s",
            "--unix-socket",
            socket,
            "-X",
            "DELETE",
            "http://d/v1.41/containers/" + name + "?force=1")
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.DISCARD)
        .start()
        .waitFor(30, TimeUnit.SECONDS);
  }

  private static void awaitStart(Path log, Process server) throws IOException {
    long until = System.nanoTime() + Duration.ofSeconds(120).toNanos();
    while (System.nanoTime() < until) {
      String text = Files.readString(log);
      if (text.contains("Started ExecboxServer")) {
        return;
      }
      if (!server.isAlive()) {
        throw new AssertionError("the server exited at start:\n" + text);
      }
      Client.sleep(200);
    }
    throw new AssertionError("the server did not start within 120 s:\n" + Files.readString(log));
  }

  private static int freePort() throws IOException {
    try (var socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }
}
