package io.execbox.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.execbox.crds.Session;
import io.execbox.machines.kubernetes.TestCluster;
import io.execbox.store.Store;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The operator restarted in the middle of its reconciles (sessions just created, their Pods being
 * scheduled, started, or running) converges: every session ends, none is left half-done or doubled,
 * and a running command's output is all there after the restart.
 */
class KubernetesRestartIT {
  @Test
  void aRestartMidReconcileConvergesWithoutDuplicates() {
    TestCluster.assumePodsRun();
    String ns = TestServer.kubernetesNamespace("execbox-restart");
    try (TestServer server = TestServer.start(TestServer.kubernetesMode(ns));
        KubernetesClient kube = TestCluster.client()) {
      Client c = Client.newAccount(server);
      // one already running before the restart, the others created right before it
      String running = c.create(Client.sh("echo before; sleep 4; echo after; exit 5"));
      c.awaitStatus(running, Duration.ofSeconds(60), "running");
      List<String> ids = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        ids.add(c.create(Client.sh("echo session-" + "$((" + i + "))" + "; exit 3")));
      }
      server.restart();
      Client again = new Client(server.baseUrl(), c.key, c.accountId);

      Client.Attach a = again.attach(running);
      assertThat(a.awaitClose(Duration.ofSeconds(60))).isEqualTo(1000);
      assertThat(a.out()).as("replayed from the Pod's log").isEqualTo("before\nafter\n");
      assertThat(a.exitCode).isEqualTo(5);

      for (int i = 0; i < ids.size(); i++) {
        JsonNode s = again.awaitStatus(ids.get(i), Duration.ofSeconds(90), "stopped", "failed");
        if ("stopped".equals(s.get("status").asText())) {
          assertThat(s.get("exitCode").asInt()).isEqualTo(3);
          Client.Attach out = again.attach(ids.get(i));
          out.awaitClose(Duration.ofSeconds(30));
          assertThat(out.out()).isEqualTo("session-" + i + "\n");
        } else {
          // caught between its attach and its start: its stdin closed with the old process
          assertThat(s.get("reason").asText()).contains("stdin closed before the command started");
        }
      }
      // nothing doubled: one row, one resource and one machine record per session
      assertThat(again.get("/v1/sessions?limit=50").json().get("sessions")).hasSize(6);
      assertThat(kube.resources(Session.class).inNamespace(ns).list().getItems()).hasSize(6);
      Store store = server.bean(Store.class);
      for (String id : ids) {
        assertThat(
                store
                    .sessions()
                    .findWithMachineName(id)
                    .block(Duration.ofSeconds(10))
                    .machineName())
            .isNotNull();
      }
    } finally {
      try (KubernetesClient kube = TestCluster.client()) {
        TestCluster.deleteNamespace(kube, ns);
      }
    }
  }

  @Test
  void aRestartBetweenTheAttachAndTheStartLosesNothingBehindTheAgent() throws Exception {
    TestCluster.assumePodsRun();
    String ns = TestServer.kubernetesNamespace("execbox-gate");
    // the operator stops with the session's Pod attached and its start not yet recorded; behind
    // the agent (the old gate failed such a session) the command runs and keeps its output, and
    // the restarted operator takes it over
    try (TestServer server = TestServer.kubernetesWith(ns, CrashPoints.class)) {
      Client c = Client.newAccount(server);
      String id = c.create(Client.sleepWithEnv(CrashPoints.MARK, CrashPoints.BEFORE_START));
      try {
        assertThat(CrashPoints.reached(id).await(60, TimeUnit.SECONDS))
            .as("attached, the start not yet recorded")
            .isTrue();
        server.restart();
        Client again = new Client(server.baseUrl(), c.key, c.accountId);
        JsonNode s = again.awaitStatus(id, Duration.ofSeconds(60), "failed", "running", "stopped");
        assertThat(s.get("status").asText()).isEqualTo("running");
        assertThat(again.post("/v1/sessions/" + id + "/stop", null).status()).isEqualTo(200);
        // the stop goes through the agent (taken over first, if the step had not yet): the
        // command's own SIGTERM code, never a Pod deleted with the code in it
        again.awaitStatus(id, Duration.ofSeconds(30), "stopped");
        JsonNode stopped = again.awaitExitCode(id, Duration.ofSeconds(40));
        assertThat(stopped.get("exitCode").asInt()).as("SIGTERM's code: " + stopped).isEqualTo(143);
      } finally {
        CrashPoints.release(id);
      }
    } finally {
      try (KubernetesClient kube = TestCluster.client()) {
        TestCluster.deleteNamespace(kube, ns);
      }
    }
  }
}
