package io.execbox.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.execbox.crds.Labels;
import io.execbox.crds.Session;
import io.execbox.crds.SessionIds;
import io.execbox.crds.SessionPhase;
import io.execbox.crds.SessionSpec;
import io.execbox.machines.kubernetes.TestCluster;
import io.execbox.store.SessionRow;
import io.execbox.store.Store;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What only kubernetes mode does, with Pods that really run on the real node: Session resources
 * beside the rows, their status and events, kubectl-applied resources, the finalizer, stop and
 * delete through the resource. (What needs no kubelet is in {@link KubernetesControlPlaneIT}.)
 */
class KubernetesModeIT {
  static final Duration WAIT = Duration.ofSeconds(60);
  static KubernetesClient kube;
  TestServer server;
  String namespace;
  Client c;

  @BeforeAll
  static void connect() {
    kube = TestCluster.client();
  }

  @AfterAll
  static void close() {
    if (kube != null) {
      kube.close();
    }
  }

  @BeforeEach
  void account() {
    server = TestServer.kubernetes();
    namespace = server.context().getEnvironment().getProperty("execbox.namespace");
    c = Client.newAccount(server);
  }

  Session resource(String id) {
    return kube.resources(Session.class)
        .inNamespace(namespace)
        .withName(SessionIds.objectName(id))
        .get();
  }

  /** A Session resource as a cluster user would write it, with no row behind it yet. */
  Session session(String id, String image, Map<String, String> labels, String... command) {
    Session s = new Session();
    s.setMetadata(
        new ObjectMetaBuilder()
            .withName(SessionIds.objectName(id))
            .withNamespace(namespace)
            .withLabels(labels)
            .build());
    SessionSpec spec = new SessionSpec();
    spec.setImage(image);
    spec.setCommand(List.of(command));
    s.setSpec(spec);
    return s;
  }

  Session awaitResource(String id, Predicate<Session> until) {
    long deadline = System.nanoTime() + WAIT.toNanos();
    Session s = resource(id);
    while ((s == null || !until.test(s)) && System.nanoTime() < deadline) {
      Client.sleep(100);
      s = resource(id);
    }
    assertThat(s).as("resource of " + id).isNotNull();
    assertThat(until.test(s))
        .as("resource of " + id + " reached the state: " + s.getStatus())
        .isTrue();
    return s;
  }

  @Test
  void anApiSessionIsAlsoAResourceWhoseStatusMirrorsItsRowAndWhichOwnsItsPod() {
    // behind the agent the command runs from the container's start: long enough to be seen running
    String id = c.create(Client.sh("echo hi; sleep 4; exit 4"));
    Session created = resource(id);
    assertThat(created).as("written with the row").isNotNull();
    assertThat(created.getMetadata().getLabels()).containsEntry(Labels.OWNER, c.accountId);
    assertThat(created.getSpec().getImage()).isEqualTo(TestServer.IMAGE);

    c.awaitStatus(id, WAIT, "running");
    Pod pod = kube.pods().inNamespace(namespace).withName(SessionIds.objectName(id)).get();
    assertThat(pod.getMetadata().getOwnerReferences())
        .singleElement()
        .satisfies(o -> assertThat(o.getUid()).isEqualTo(created.getMetadata().getUid()));

    Client.Attach a = c.attach(id);
    a.awaitClose(WAIT);
    assertThat(a.exitCode).isEqualTo(4);
    Session done =
        awaitResource(
            id, s -> s.getStatus() != null && s.getStatus().getPhase() == SessionPhase.STOPPED);
    assertThat(done.getStatus().getExitCode()).isEqualTo(4);
    assertThat(done.getStatus().getStartedAt()).isNotNull();
    assertThat(done.getStatus().getEndedAt()).isNotNull();
    assertThat(done.getStatus().getMachineName()).isEqualTo(SessionIds.objectName(id));
    assertThat(done.getStatus().getObservedGeneration()).isEqualTo(1L);
    assertThat(done.getStatus().getConditions())
        .extracting(x -> x.getType() + "=" + x.getStatus() + "/" + x.getReason())
        .containsExactly(
            "Started=True/CommandStarted",
            "Finished=True/Stopped",
            "Reconciled=True/StepSucceeded");
    List<String> reasons =
        kube.v1().events().inNamespace(namespace).list().getItems().stream()
            .filter(e -> SessionIds.objectName(id).equals(e.getInvolvedObject().getName()))
            .filter(e -> "Session".equals(e.getInvolvedObject().getKind()))
            .map(e -> e.getReason())
            .toList();
    assertThat(reasons).contains("Started", "Exited");
  }

  @Test
  void aResourceAppliedDirectlyGetsARowRunsAndReportsItsExitCode() {
    String id = SessionIds.newId();
    kube.resource(session(id, TestServer.IMAGE, Map.of(), "sh", "-c", "echo applied; exit 9"))
        .create();
    Session done =
        awaitResource(id, r -> r.getStatus() != null && r.getStatus().getExitCode() != null);
    assertThat(done.getStatus().getPhase()).isEqualTo(SessionPhase.STOPPED);
    assertThat(done.getStatus().getExitCode()).isEqualTo(9);
    Store store = server.bean(Store.class);
    SessionRow row = store.sessions().findById(id).block(WAIT);
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (row != null && !row.outputArchived() && System.nanoTime() < deadline) {
      Client.sleep(100);
      row = store.sessions().findById(id).block(WAIT);
    }
    assertThat(row).isNotNull();
    assertThat(row.accountId())
        .as("the account configured for the namespace (EXECBOX_KUBERNETES_NAMESPACE_ACCOUNTS)")
        .isEqualTo(TestServer.KUBECTL_ACCOUNT);
    assertThat(row.exitCode()).isEqualTo(9);
    // its output is kept like any session's
    assertThat(store.outputs().load(id).collectList().block(WAIT))
        .extracting(o -> new String(o.data(), java.nio.charset.StandardCharsets.UTF_8))
        .containsExactly("applied\n");
  }

  @Test
  void aResourceWithoutARowButWithAnOwnerLabelKeepsThatAccount() {
    // as when the API's row was lost after the resource was written (a restored database): adopted
    // once the API has had its grace to commit the row or delete the resource (10 s)
    String id = SessionIds.newId();
    kube.resource(
            session(id, TestServer.IMAGE, Map.of(Labels.OWNER, c.accountId), "sh", "-c", "exit 6"))
        .create();
    JsonNode row = c.awaitStatus(id, WAIT, "stopped");
    assertThat(row.get("exitCode").asInt()).isEqualTo(6);
  }

  @Test
  void deletingTheResourceKillsThePodAndFinishesTheRowBeforeTheFinalizerGoes() {
    String id = c.create(Client.sh("sleep 120"));
    c.awaitStatus(id, WAIT, "running");
    Client.sleep(500); // a run long enough to show in the usage
    assertThat(resource(id).getMetadata().getFinalizers()).contains("execbox.io/finalizer");
    kube.resources(Session.class)
        .inNamespace(namespace)
        .withName(SessionIds.objectName(id))
        .delete();
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (resource(id) != null && System.nanoTime() < deadline) {
      Client.sleep(100);
    }
    assertThat(resource(id)).as("gone once its row is finished").isNull();
    assertThat(kube.pods().inNamespace(namespace).withName(SessionIds.objectName(id)).get())
        .isNull();
    JsonNode row = c.get("/v1/sessions/" + id).json();
    assertThat(row.get("status").asText()).isEqualTo("killed");
    assertThat(row.get("exitCode").asInt()).isEqualTo(137);
    SessionRow stored = server.bean(Store.class).sessions().findById(id).block(WAIT);
    assertThat(stored.reconcileAt()).as("finished").isNull();
    JsonNode usage = c.get("/v1/account/usage").json();
    assertThat(usage.get("activeSessions").asInt()).isZero();
    assertThat(usage.get("wallSeconds").asDouble()).as("usage recorded").isGreaterThan(0.4);
  }

  @Test
  void aFailedAndADeadlineKilledSessionAreWarningAndNormalEvents() {
    String failed =
        c.create("{\"image\":\"localhost/execbox-test/does-not-exist:1\",\"command\":[\"true\"]}");
    String killed =
        c.create(
            "{\"image\":\""
                + TestServer.IMAGE
                + "\",\"command\":[\"sleep\",\"60\"],\"resources\":{\"timeoutMs\":2000}}");
    c.awaitStatus(failed, WAIT, "failed");
    c.awaitStatus(killed, WAIT, "killed");
    awaitEvent(failed, "Warning", "Failed", "does-not-exist");
    awaitEvent(killed, "Normal", "Killed", "deadline");
  }

  private void awaitEvent(String id, String type, String reason, String inMessage) {
    long deadline = System.nanoTime() + WAIT.toNanos();
    List<String> seen = List.of();
    while (System.nanoTime() < deadline) {
      seen =
          kube.v1().events().inNamespace(namespace).list().getItems().stream()
              .filter(e -> SessionIds.objectName(id).equals(e.getInvolvedObject().getName()))
              .filter(e -> "Session".equals(e.getInvolvedObject().getKind()))
              .map(e -> e.getType() + "/" + e.getReason() + ": " + e.getMessage())
              .toList();
      if (seen.stream()
          .anyMatch(e -> e.startsWith(type + "/" + reason + ": ") && e.contains(inMessage))) {
        return;
      }
      Client.sleep(200);
    }
    throw new AssertionError(
        "no "
            + type
            + " Event "
            + reason
            + " mentioning "
            + inMessage
            + " for "
            + id
            + ": "
            + seen);
  }

  @Test
  void stopAndDeleteThroughTheApiActOnTheResource() {
    String stopped = c.create(Client.sh("trap 'exit 3' TERM; while :; do sleep 0.1; done"));
    c.awaitStatus(stopped, WAIT, "running");
    assertThat(c.post("/v1/sessions/" + stopped + "/stop", null).status()).isEqualTo(200);
    assertThat(resource(stopped).getMetadata().getAnnotations())
        .containsKey("execbox.io/stop-requested-at");
    Session s =
        awaitResource(stopped, r -> r.getStatus() != null && r.getStatus().getExitCode() != null);
    assertThat(s.getStatus().getExitCode()).isEqualTo(3);

    String deleted = c.create(Client.sh("sleep 120"));
    c.awaitStatus(deleted, WAIT, "running");
    assertThat(c.delete("/v1/sessions/" + deleted).json().get("status").asText())
        .isEqualTo("killed");
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (resource(deleted) != null && System.nanoTime() < deadline) {
      Client.sleep(100);
    }
    assertThat(resource(deleted)).isNull();
    assertThat(c.get("/v1/sessions/" + deleted).json().get("exitCode").asInt()).isEqualTo(137);
  }
}
