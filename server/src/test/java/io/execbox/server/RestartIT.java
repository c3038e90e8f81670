package io.execbox.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A restart of the server loses no session and no byte. */
class RestartIT {
  @Test
  void runningSessionsSurviveARestartAndStillReplayEverything() {
    try (TestServer server = TestServer.start(Map.of())) {
      Client c = Client.newAccount(server);
      String id =
          c.create(Client.sh("echo before; echo before-err >&2; sleep 4; echo after; exit 5"));
      c.awaitStatus(id, Duration.ofSeconds(30), "running");
      Client.sleep(500);
      server.restart();
      Client again = new Client(server.baseUrl(), c.key);
      Client.Attach a = again.attach(id);
      assertThat(a.awaitClose(Duration.ofSeconds(30))).isEqualTo(1000);
      assertThat(a.out()).isEqualTo("before\nafter\n");
      assertThat(a.err()).isEqualTo("before-err\n");
      assertThat(a.exitCode).isEqualTo(5);
      assertThat(again.awaitStatus(id, Duration.ofSeconds(15), "stopped").get("exitCode").asInt())
          .isEqualTo(5);
      // the archive outlives the machine
      Client.sleep(1000);
      Client.Attach replay = again.attach(id);
      replay.awaitClose(Duration.ofSeconds(30));
      assertThat(replay.out()).isEqualTo("before\nafter\n");
      assertThat(replay.exitCode).isEqualTo(5);
    }
  }
}
