package io.execbox.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.execbox.machines.MachineBackend;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What every backend does for a session, through the API against real machines: statuses, exit
 * codes, stdio, spec fields, stop, delete, deadline. Each backend runs it from a subclass.
 */
abstract class SessionsContract {
  /** The server, on the backend of the subclass. */
  abstract TestServer server();

  /** Whether the backend's runtime says a command was OOM-killed (not just exit 137). */
  boolean runtimeReportsOomKills() {
    return true;
  }

  TestServer server;
  Client c;

  @BeforeEach
  void account() {
    server = server();
    c = Client.newAccount(server);
  }

  Client.Attach run(String spec) {
    String id = c.create(spec);
    Client.Attach a = c.attach(id);
    assertThat(a.awaitClose(Duration.ofSeconds(60))).isEqualTo(1000);
    return a;
  }

  @Test
  void echoRunsToExitZero() {
    String id = c.create(Client.sh("echo hello"));
    JsonNode created = c.get("/v1/sessions/" + id).json();
    assertThat(id).matches("sess_[0-9a-f]{16,}");
    assertThat(created.get("image").asText()).isEqualTo(TestServer.IMAGE);
    Client.Attach a = c.attach(id);
    assertThat(a.awaitClose(Duration.ofSeconds(30))).isEqualTo(1000);
    assertThat(a.out()).isEqualTo("hello\n");
    assertThat(a.exitCode).isEqualTo(0);
    assertThat(a.types.get(a.types.size() - 1)).isEqualTo(4);
    JsonNode s = c.awaitStatus(id, Duration.ofSeconds(10), "stopped");
    assertThat(s.get("exitCode").asInt()).isEqualTo(0);
    assertThat(s.get("startedAt").asText()).isNotEmpty();
    assertThat(s.get("endedAt").asText()).isNotEmpty();
  }

  @Test
  void exitCode42IsReportedOnTheWireAndTheSession() {
    String id = c.create(Client.sh("exit 42"));
    Client.Attach a = c.attach(id);
    a.awaitClose(Duration.ofSeconds(30));
    assertThat(a.exitCode).isEqualTo(42);
    assertThat(c.awaitStatus(id, Duration.ofSeconds(10), "stopped").get("exitCode").asInt())
        .isEqualTo(42);
  }

  @Test
  void stderrStaysOnStderrAndInterleavingKeepsEachStreamsOrder() {
    Client.Attach a = run(Client.sh("echo a; echo b >&2; echo c; echo d >&2; echo e"));
    assertThat(a.out()).isEqualTo("a\nc\ne\n");
    assertThat(a.err()).isEqualTo("b\nd\n");
    Client.Attach only = run(Client.sh("echo only-err >&2"));
    assertThat(only.out()).isEmpty();
    assertThat(only.err()).isEqualTo("only-err\n");
  }

  @Test
  void stdinLinesThenStdinClose() {
    String id = c.create(Client.sh("while read l; do echo \"got:$l\"; done; echo bye"));
    Client.Attach a = c.attach(id);
    a.stdin("one\n");
    a.stdin("two\n");
    a.stdinClose();
    assertThat(a.awaitClose(Duration.ofSeconds(30))).isEqualTo(1000);
    assertThat(a.out()).isEqualTo("got:one\ngot:two\nbye\n");
    assertThat(a.exitCode).isEqualTo(0);
  }

  @Test
  void stdinSentBeforeTheCommandStartsIsNotLost() {
    for (int i = 0; i < 5; i++) {
      String id = c.create(Client.sh("read x; echo got:$x"));
      Client.Attach a = c.attach(id);
      a.stdin("early-" + i + "\n");
      a.stdinClose();
      assertThat(a.awaitClose(Duration.ofSeconds(30))).isEqualTo(1000);
      assertThat(a.out()).isEqualTo("got:early-" + i + "\n");
    }
  }

  @Test
  void envWorkDirAndFiles() {
    String b64 = Base64.getEncoder().encodeToString(new byte[] {0, 1, 2, (byte) 255});
    String spec =
        "{\"image\":\""
            + TestServer.IMAGE
            + "\","
            + "\"command\":[\"sh\",\"-c\",\"echo $GREETING; pwd; cat /app/main.txt; od -An -tx1 /app/bin/data.bin; test -f /etc/passwd && echo passwd-visible\"],"
            + "\"env\":{\"GREETING\":\"hi there\"},\"workDir\":\"/tmp\","
            + "\"files\":[{\"path\":\"/app/main.txt\",\"content\":\"héllo\\n\"},"
            + "{\"path\":\"/app/bin/data.bin\",\"content\":\""
            + b64
            + "\",\"encoding\":\"base64\"},"
            + "{\"path\":\"/etc/extra.conf\",\"content\":\"x\"}]}";
    Client.Attach a = run(spec);
    assertThat(a.out()).isEqualTo("hi there\n/tmp\nhéllo\n 00 01 02 ff\npasswd-visible\n");
  }

  @Test
  void memoryLimitIsEnforced() {
    String spec =
        "{\"image\":\""
            + TestServer.IMAGE
            + "\",\"command\":[\"sh\",\"-c\",\"dd if=/dev/zero of=/dev/null bs=300M count=1\"],"
            + "\"resources\":{\"memoryMB\":128}}";
    String id = c.create(spec);
    Client.Attach a = c.attach(id);
    a.awaitClose(Duration.ofSeconds(60));
    assertThat(a.exitCode).isEqualTo(137);
    JsonNode s = c.awaitStatus(id, Duration.ofSeconds(10), "stopped");
    assertThat(s.get("exitCode").asInt()).isEqualTo(137);
    if (runtimeReportsOomKills()) {
      assertThat(s.path("reason").asText()).as("the reason is kept").contains("OOMKilled");
    }
  }

  @Test
  void missingImageFailsWithAReason() {
    String id =
        c.create("{\"image\":\"localhost/execbox-test/does-not-exist:1\",\"command\":[\"true\"]}");
    JsonNode s = c.awaitStatus(id, Duration.ofSeconds(30), "failed");
    assertThat(s.get("reason").asText()).contains("does-not-exist");
    Client.Attach a = c.attach(id);
    assertThat(a.awaitClose(Duration.ofSeconds(10))).isEqualTo(1000);
    assertThat(a.errors).anyMatch(e -> e.contains("failed"));
  }

  @Test
  void badCommandFailsOrExitsNonZeroNeverHangs() {
    String id =
        c.create("{\"image\":\"" + TestServer.IMAGE + "\",\"command\":[\"/no/such/binary\"]}");
    JsonNode s = c.awaitStatus(id, Duration.ofSeconds(30), "failed", "stopped");
    if (s.get("status").asText().equals("stopped")) {
      assertThat(s.get("exitCode").asInt()).isNotZero();
    } else {
      assertThat(s.get("reason").asText()).isNotBlank();
    }
  }

  @Test
  void stopSendsSigtermThenTheSessionIsStoppedAndItsMachineGone() {
    String id =
        c.create(
            Client.sh(
                "trap 'echo got-term; exit 3' TERM; echo ready; while true; do sleep 0.1; done"));
    Client.Attach a = c.attach(id);
    c.awaitStatus(id, Duration.ofSeconds(30), "running");
    long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (!a.out().contains("ready") && System.nanoTime() < until) {
      Client.sleep(50);
    }
    Client.Response r = c.post("/v1/sessions/" + id + "/stop", null);
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.json().get("status").asText()).isEqualTo("stopped");
    a.awaitClose(Duration.ofSeconds(20));
    assertThat(a.out()).contains("got-term");
    assertThat(a.exitCode).isEqualTo(3);
    awaitMachineGone(id);
    JsonNode s = c.get("/v1/sessions/" + id).json();
    assertThat(s.get("status").asText()).isEqualTo("stopped");
    assertThat(s.get("exitCode").asInt()).isEqualTo(3);
    // stopping a stopped session is harmless
    assertThat(c.post("/v1/sessions/" + id + "/stop", null).status()).isEqualTo(200);
  }

  @Test
  void stopOfACommandIgnoringSigtermKillsItAfterTheGracePeriod() {
    String id = c.create(Client.sh("trap '' TERM; while true; do sleep 0.1; done"));
    c.awaitStatus(id, Duration.ofSeconds(30), "running");
    assertThat(c.post("/v1/sessions/" + id + "/stop", null).status()).isEqualTo(200);
    awaitMachineGone(id);
    JsonNode s = c.get("/v1/sessions/" + id).json();
    assertThat(s.get("status").asText()).isEqualTo("stopped");
    assertThat(s.get("exitCode").asInt()).isEqualTo(137);
  }

  /** As PID 1 the command would outlive its own SIGKILL and SIGTERM, and exit 0. */
  @Test
  void aCommandKilledByASignalExitsWith128PlusTheSignal() {
    Client.Attach killed = run(Client.sh("kill -9 $$; echo survived"));
    assertThat(killed.out()).isEmpty();
    assertThat(killed.exitCode).isEqualTo(137);
    Client.Attach terminated = run(Client.sh("kill -TERM $$; echo survived"));
    assertThat(terminated.out()).isEmpty();
    assertThat(terminated.exitCode).isEqualTo(143);
  }

  /**
   * The command is not the machine's PID 1, which ignores a SIGTERM it does not trap: a stop ends
   * an untrapped {@code sleep} at once with 143, not after the grace period with 137 (the test
   * server's grace is 2 s, so the exit code is what tells them apart).
   */
  @Test
  void stopEndsAnUntrappedCommandAtOnceWithExit143() {
    String id = c.create(Client.sh("sleep 300"));
    Client.Attach a = c.attach(id);
    c.awaitStatus(id, Duration.ofSeconds(30), "running");
    long asked = System.nanoTime();
    assertThat(c.post("/v1/sessions/" + id + "/stop", null).status()).isEqualTo(200);
    assertThat(a.awaitClose(Duration.ofSeconds(30))).isEqualTo(1000);
    Duration took = Duration.ofNanos(System.nanoTime() - asked);
    assertThat(a.exitCode).as("exit frame (137: killed after the grace)").isEqualTo(143);
    assertThat(took)
        .as("from the stop request to the exit frame")
        .isLessThan(Duration.ofSeconds(3));
    awaitMachineGone(id);
    JsonNode s = c.get("/v1/sessions/" + id).json();
    assertThat(s.get("status").asText()).isEqualTo("stopped");
    assertThat(s.get("exitCode").asInt()).isEqualTo(143);
  }

  @Test
  void aSigtermTrapsOutputAndExitCodeAreKeptOnStop() {
    String id = c.create(Client.sh("trap 'echo bye; exit 7' TERM; echo ready; sleep 300 & wait"));
    Client.Attach a = c.attach(id);
    long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (!a.out().contains("ready") && System.nanoTime() < until) {
      Client.sleep(20);
    }
    long asked = System.nanoTime();
    assertThat(c.post("/v1/sessions/" + id + "/stop", null).status()).isEqualTo(200);
    assertThat(a.awaitClose(Duration.ofSeconds(30))).isEqualTo(1000);
    Duration took = Duration.ofNanos(System.nanoTime() - asked);
    assertThat(a.out()).isEqualTo("ready\nbye\n");
    assertThat(a.exitCode).isEqualTo(7);
    assertThat(took)
        .as("from the stop request to the exit frame")
        .isLessThan(Duration.ofSeconds(3));
    awaitMachineGone(id);
    JsonNode s = c.get("/v1/sessions/" + id).json();
    assertThat(s.get("status").asText()).isEqualTo("stopped");
    assertThat(s.get("exitCode").asInt()).isEqualTo(7);
  }

  @Test
  void deleteKillsNowDestroysTheMachineAndKeepsTheRow() {
    String id = c.create(Client.sh("sleep 60"));
    c.awaitStatus(id, Duration.ofSeconds(30), "running");
    Client.Response r = c.delete("/v1/sessions/" + id);
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.json().get("status").asText()).isEqualTo("killed");
    awaitMachineGone(id);
    JsonNode s = c.get("/v1/sessions/" + id).json();
    assertThat(s.get("status").asText()).isEqualTo("killed");
    assertThat(s.get("exitCode").asInt()).isEqualTo(137);
  }

  @Test
  void timeoutKillsWithin2SecondsOfTheDeadline() {
    String spec =
        "{\"image\":\""
            + TestServer.IMAGE
            + "\",\"command\":[\"sleep\",\"60\"],\"resources\":{\"timeoutMs\":2000}}";
    Instant before = Instant.now();
    String id = c.create(spec);
    Client.Attach a = c.attach(id);
    a.awaitClose(Duration.ofSeconds(15));
    Instant closedAt = Instant.now();
    assertThat(a.exitCode).isEqualTo(137);
    JsonNode s = c.awaitStatus(id, Duration.ofSeconds(5), "killed");
    assertThat(s.get("exitCode").asInt()).isEqualTo(137);
    Instant created = Instant.parse(s.get("createdAt").asText());
    Instant ended = Instant.parse(s.get("endedAt").asText());
    assertThat(Duration.between(created.plusMillis(2000), ended)).isLessThan(Duration.ofSeconds(2));
    assertThat(Duration.between(before.plusMillis(2000), closedAt))
        .isLessThan(Duration.ofMillis(2500));
  }

  @Test
  void usageCountsFinishedSessions() {
    String id = c.create(Client.sh("sleep 1"));
    c.attach(id).awaitClose(Duration.ofSeconds(30));
    c.awaitStatus(id, Duration.ofSeconds(10), "stopped");
    JsonNode u = null;
    for (int i = 0; i < 40; i++) {
      u = c.get("/v1/account/usage").json();
      if (u.get("wallSeconds").asDouble() > 0) {
        break;
      }
      Client.sleep(250);
    }
    assertThat(u.get("sessionsToday").asInt()).isEqualTo(1);
    assertThat(u.get("activeSessions").asInt()).isZero();
    assertThat(u.get("wallSeconds").asDouble()).isGreaterThanOrEqualTo(0.5);
    assertThat(u.get("limits").get("maxActiveSessions").asInt()).isEqualTo(10);
  }

  /**
   * Waits until the runtime lists no machine of the session (asked of the runtime, not of the
   * lifecycle's memory: a process that did not destroy it still remembers its exit).
   */
  private void awaitMachineGone(String id) {
    MachineBackend backend = server.bean(MachineBackend.class);
    long until = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (System.nanoTime() < until) {
      if (backend.list().stream().noneMatch(m -> id.equals(m.sessionId()))
          && c.get("/v1/sessions/" + id).json().has("exitCode")) {
        return;
      }
      Client.sleep(200);
    }
    throw new AssertionError("machine of " + id + " still there: " + backend.observe(id));
  }
}
