package io.execbox.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Standalone mode when a step fails (the backend or the database away a while): the session's next
 * try is put off, doubling from half a second, and the session goes on once the failure passes.
 */
class StepFailuresIT {
  static TestServer server;

  @BeforeAll
  static void start() {
    server = TestServer.start(Map.of("spring.main.sources", CrashPoints.class.getName()));
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.close();
    }
  }

  @Test
  void aFailingStepIsRetriedWithBackoffAndTheSessionGoesOnWhenTheFailurePasses() {
    Client c = Client.newAccount(server);
    // the backend fails the first 6 looks at the machine after creating it: the first within the
    // create (its own retry), the other five in steps
    String id = c.create(Client.sleepWithEnv(CrashPoints.OBSERVE_FAILURES, "6"));
    awaitFailures(id, 2);
    long first = System.nanoTime();
    awaitFailures(id, 6);
    // 0.5 + 1 + 2 + 4 s of backoff between the five failed steps; a fixed one-second retry would
    // be through them in 4 s
    assertThat(Duration.ofNanos(System.nanoTime() - first)).isGreaterThan(Duration.ofMillis(6000));
    // the session was never given up: it runs, and a stop ends it as usual
    c.awaitStatus(id, Duration.ofSeconds(30), "running");
    c.post("/v1/sessions/" + id + "/stop", "");
    assertThat(c.awaitStatus(id, Duration.ofSeconds(30), "stopped").get("status").asText())
        .isEqualTo("stopped");
  }

  private static void awaitFailures(String id, int n) {
    long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (CrashPoints.observeFailures(id) < n && System.nanoTime() < until) {
      Client.sleep(20);
    }
    assertThat(CrashPoints.observeFailures(id)).isEqualTo(n);
  }
}
