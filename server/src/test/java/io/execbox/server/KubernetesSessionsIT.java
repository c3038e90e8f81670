package io.execbox.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The same contract, run against the server with the kubernetes backend on the real node: Pods that
 * really run, attached through {@code pods/attach}.
 */
class KubernetesSessionsIT extends SessionsContract {
  @Override
  TestServer server() {
    return TestServer.kubernetes();
  }

  /**
   * README, "kill / delete / deadline": a kill ends the output there with exit 137; what the
   * command prints in the moment between the kubelet's SIGTERM and its SIGKILL is not kept.
   */
  @Test
  void aKilledCommandsOutputEndsAtTheKill() {
    String id =
        c.create(
            Client.sh(
                "trap 'echo after-term; sleep 0.3; echo after-term-2' TERM; echo ready;"
                    + " while :; do sleep 0.1; done"));
    Client.Attach a = c.attach(id);
    long until = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (!a.out().contains("ready") && System.nanoTime() < until) {
      Client.sleep(50);
    }
    assertThat(a.out()).isEqualTo("ready\n");
    assertThat(c.delete("/v1/sessions/" + id).status()).isEqualTo(200);
    assertThat(a.awaitClose(Duration.ofSeconds(30))).isEqualTo(1000);
    assertThat(a.exitCode).isEqualTo(137);
    assertThat(a.out()).isEqualTo("ready\n");
  }
}
