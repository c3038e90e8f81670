package io.execbox.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.execbox.crds.FileSpec;
import io.execbox.crds.PortSpec;
import io.execbox.crds.Session;
import io.execbox.crds.SessionIds;
import io.execbox.crds.SessionSpec;
import io.execbox.machines.kubernetes.TestCluster;
import io.execbox.store.Store;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The control plane of kubernetes mode, with or without a kubelet: the fast tier runs it on the
 * API-server-only recipe (`scripts/fast-tier.sh`: Pods stay Pending), the full run on the real
 * node. The CRD's validation, the status written only when it changes, with its conditions and
 * Events, stop and delete through the finalizer, and an operator restarted in the middle of its
 * reconciles converging with one row, one Pod and one machine record per session.
 */
class KubernetesControlPlaneIT {
  static final Duration WAIT = Duration.ofSeconds(60);
  static KubernetesClient kube;
  static String namespace;
  static TestServer server;

  @BeforeAll
  static void start() {
    namespace = TestServer.kubernetesNamespace("execbox-cp");
    kube = TestCluster.client();
    server = TestServer.start(TestServer.kubernetesMode(namespace));
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.close();
    }
    if (kube != null) {
      TestCluster.deleteNamespace(kube, namespace);
      kube.close();
    }
  }

  @Test
  void theApiserverItselfRejectsABadSession() {
    assertRejected(s -> s.setImage(null), "image");
    assertRejected(s -> s.getResources().setTimeoutMs(10), "timeoutMs");
    assertRejected(s -> s.getResources().setMemoryMB(16_384), "memoryMB");
    assertRejected(s -> s.getResources().setCpuMillis(1), "cpuMillis");
    assertRejected(s -> s.setImage(""), "image");
    assertRejected(s -> s.setImage("two words"), "image");
    assertRejected(s -> s.setCommand(List.of()), "command");
    assertRejected(s -> s.setWorkDir("relative/dir"), "workDir");
    assertRejected(s -> s.setFiles(List.of(new FileSpec("a.txt", "x", null))), "path");
    assertRejected(s -> s.setFiles(List.of(new FileSpec("/a.txt", "x", "rot13"))), "encoding");
    assertRejected(s -> s.setPorts(List.of(new PortSpec(8080, "sctp"))), "protocol");
    assertRejected(s -> s.setSetup(List.of("pip install x")), "setup");
    Session noSpec = resource(SessionIds.newId(), "true");
    noSpec.setSpec(null);
    assertThatThrownBy(() -> kube.resource(noSpec).create())
        .isInstanceOfSatisfying(
            KubernetesClientException.class,
            e -> {
              assertThat(e.getCode()).isEqualTo(422);
              assertThat(e.getMessage()).contains("spec");
            });
  }

  private void assertRejected(Consumer<SessionSpec> breakIt, String field) {
    Session bad = resource(SessionIds.newId(), "true");
    bad.getSpec().setResources(new io.execbox.crds.ResourceSpec());
    breakIt.accept(bad.getSpec());
    assertThatThrownBy(() -> kube.resource(bad).create())
        .isInstanceOfSatisfying(
            KubernetesClientException.class,
            e -> {
              assertThat(e.getCode()).isEqualTo(422);
              assertThat(e.getMessage()).contains(field);
            });
  }

  @Test
  void aSessionThatIsNotNamedAsOneIsNotRunAndSaysWhy() {
    Session odd = resource(SessionIds.newId(), "true");
    odd.getMetadata().setName("not-a-session");
    kube.resource(odd).create();
    long until = System.nanoTime() + WAIT.toNanos();
    boolean warned = false;
    while (!warned && System.nanoTime() < until) {
      warned =
          kube.v1().events().inNamespace(namespace).list().getItems().stream()
              .anyMatch(
                  e ->
                      "not-a-session".equals(e.getInvolvedObject().getName())
                          && "InvalidName".equals(e.getReason())
                          && "Warning".equals(e.getType()));
      Client.sleep(200);
    }
    assertThat(warned).as("a Warning Event InvalidName on the resource").isTrue();
    assertThat(kube.pods().inNamespace(namespace).withName("not-a-session").get()).isNull();
    assertThat(kube.resources(Session.class).inNamespace(namespace).withName("not-a-session").get())
        .extracting(Session::getStatus)
        .as("no status: it is not a session")
        .isNull();
    kube.resource(odd).delete();
  }

  @Test
  void whenTheResourceCannotBeWrittenNoRowIsLeft() {
    // a server whose namespace does not exist: every resource write fails
    TestServer broken = TestServer.start(TestServer.kubernetesMode("execbox-no-such-namespace"));
    try {
      Client other = Client.newAccount(broken);
      Client.Response r = other.post("/v1/sessions", Client.sh("true"));
      assertThat(r.status()).isEqualTo(503);
      assertThat(r.json().get("detail").asText()).contains("Session resource");
      assertThat(other.get("/v1/sessions").json().get("sessions")).isEmpty();
    } finally {
      broken.close();
    }
  }

  @Test
  void aPodsOwnDeadlineFollowsTheInstallationsDefaultTimeout() {
    // the kubelet's backstop (activeDeadlineSeconds) comes from the session's deadline, a few
    // seconds later: a session without a timeout of its own has the installation's default
    String ns = TestServer.kubernetesNamespace("execbox-cp-deadline");
    Map<String, Object> config = new HashMap<>(TestServer.kubernetesMode(ns));
    config.put("execbox.default-timeout-ms", 20_000);
    TestServer shortDefault = TestServer.start(config);
    try {
      String id = Client.newAccount(shortDefault).create(Client.sh("sleep 60"));
      long until = System.nanoTime() + WAIT.toNanos();
      while (podsIn(ns, id).isEmpty() && System.nanoTime() < until) {
        Client.sleep(200);
      }
      assertThat(podsIn(ns, id)).singleElement();
      assertThat(podsIn(ns, id).get(0).getSpec().getActiveDeadlineSeconds()).isBetween(20L, 25L);
    } finally {
      shortDefault.close();
      TestCluster.deleteNamespace(kube, ns);
    }
  }

  @Test
  void whenTheRowIsNotCommittedTheResourceWrittenForItGoesToo() {
    String ns = TestServer.kubernetesNamespace("execbox-cp-commit");
    TestServer failing = TestServer.kubernetesWith(ns, FailingCommit.class);
    try {
      Client c = Client.newAccount(failing);
      Client.Response r = c.post("/v1/sessions", Client.sleepWithEnv(FailingCommit.MARK, "1"));
      assertThat(r.status()).as(r.text()).isEqualTo(503);
      assertThat(r.json().get("detail").asText()).contains("database");
      assertThat(c.get("/v1/sessions").json().get("sessions")).isEmpty();
      long until = System.nanoTime() + WAIT.toNanos();
      while (!kube.resources(Session.class).inNamespace(ns).list().getItems().isEmpty()
          && System.nanoTime() < until) {
        Client.sleep(200);
      }
      assertThat(kube.resources(Session.class).inNamespace(ns).list().getItems())
          .as("the resource written before the failed commit was removed")
          .isEmpty();
      assertThat(c.get("/v1/sessions").json().get("sessions")).isEmpty();
      // the same server creates sessions normally
      assertThat(c.post("/v1/sessions", Client.sh("true")).status()).isEqualTo(201);
    } finally {
      failing.close();
      TestCluster.deleteNamespace(kube, ns);
    }
  }

  @Test
  void theStatusIsWrittenWhenItChangesWithConditionsAndEventsAndTheFinalizerFinishesTheRow() {
    Client c = Client.newAccount(server);
    String id = c.create(Client.sh("sleep 60"));
    Session s = awaitResource(id, r -> r.getStatus() != null && r.getStatus().getPhase() != null);
    assertThat(s.getStatus().getPhase().wire()).isIn("pending", "running");
    assertThat(s.getMetadata().getFinalizers()).isNotEmpty();
    assertThat(pods(id)).hasSize(1);
    awaitResource(id, r -> pods(id).get(0).getMetadata().getName().equals(machineName(r)));

    c.post("/v1/sessions/" + id + "/stop", "");
    Session ended =
        awaitResource(
            id, r -> r.getStatus().getPhase() != null && r.getStatus().getPhase().isTerminal());
    var row = c.get("/v1/sessions/" + id).json();
    assertThat(ended.getStatus().getPhase().wire())
        .as(row.toString())
        .isEqualTo(row.get("status").asText());
    assertThat(ended.getStatus().getExitCode())
        .as(row.toString())
        .isEqualTo(row.path("exitCode").isMissingNode() ? null : row.get("exitCode").asInt());
    assertThat(ended.getStatus().getEndedAt()).isNotNull();
    assertThat(ended.getStatus().getObservedGeneration())
        .isEqualTo(ended.getMetadata().getGeneration());
    Condition finished = condition(ended, "Finished");
    assertThat(finished.getStatus()).isEqualTo("True");
    assertThat(finished.getLastTransitionTime()).isNotBlank();
    assertThat(condition(ended, "Started")).isNotNull();
    awaitEvent(id, Set.of("Exited", "Killed"));

    // nothing changes any more, so nothing is written any more
    String version = awaitQuiet(id);
    Client.sleep(2000);
    assertThat(resourceOf(id).getMetadata().getResourceVersion()).isEqualTo(version);

    // deleting the resource goes through the finalizer: row finished, usage recorded, Pod gone
    kube.resources(Session.class)
        .inNamespace(namespace)
        .withName(SessionIds.objectName(id))
        .delete();
    long until = System.nanoTime() + WAIT.toNanos();
    while ((resourceOf(id) != null || !pods(id).isEmpty()) && System.nanoTime() < until) {
      Client.sleep(100);
    }
    assertThat(resourceOf(id)).isNull();
    assertThat(pods(id)).isEmpty();
    assertThat(server.bean(Store.class).sessions().findById(id).block(WAIT).reconcileAt()).isNull();
  }

  @Test
  void aFailingStepIsRetriedWithBackoffAndTheStatusAndAWarningEventSayWhy() {
    String ns = TestServer.kubernetesNamespace("execbox-cp-fail");
    TestServer faulty = TestServer.kubernetesWith(ns, CrashPoints.class);
    try {
      Client c = Client.newAccount(faulty);
      // the backend fails the first 8 looks at this session's machine after creating it (the Pod's
      // own change events bring some looks forward at once; the rest wait for JOSDK's retries)
      String id = c.create(Client.sleepWithEnv(CrashPoints.OBSERVE_FAILURES, "8"));
      Session failing = awaitResourceIn(ns, id, r -> "False".equals(reconciled(r)));
      long failingSince = System.nanoTime();
      Condition why = condition(failing, "Reconciled");
      assertThat(why.getReason()).isEqualTo("StepFailed");
      assertThat(why.getMessage()).contains("injected: the runtime does not answer");
      assertThat(failing.getStatus().getPhase().wire()).isEqualTo("pending");
      awaitEventIn(ns, id, Set.of("StepFailed"), "Warning");
      Session healed =
          awaitResourceIn(ns, id, r -> "True".equals(reconciled(r)) && machineName(r) != null);
      assertThat(CrashPoints.observeFailures(id)).isEqualTo(8);
      assertThat(condition(healed, "Reconciled").getReason()).isEqualTo("StepSucceeded");
      // JOSDK's retry backs off (0.5 s, doubling): a retry loop without backoff would be through
      // its eight failures in well under a second
      assertThat(Duration.ofNanos(System.nanoTime() - failingSince))
          .isGreaterThan(Duration.ofMillis(1500));
    } finally {
      faulty.close();
      TestCluster.deleteNamespace(kube, ns);
    }
  }

  private static String reconciled(Session s) {
    if (s.getStatus() == null || s.getStatus().getConditions() == null) {
      return null;
    }
    Condition c = condition(s, "Reconciled");
    return c == null ? null : c.getStatus();
  }

  @Test
  void anOperatorRestartedMidReconcileConvergesWithOneRowPodAndMachinePerSession()
      throws InterruptedException {
    String ns = TestServer.kubernetesNamespace("execbox-cp-restart");
    TestServer restarting = TestServer.kubernetesWith(ns, CrashPoints.class);
    Client c = Client.newAccount(restarting);
    // one session's reconcile is held just after its Pod was created, before the machine is
    // recorded: the point where a dying operator leaves the most behind
    String held = c.create(Client.sleepWithEnv(CrashPoints.MARK, CrashPoints.AFTER_CREATE));
    try {
      List<String> ids = new ArrayList<>();
      ids.add(held);
      for (int i = 1; i < 10; i++) { // the account's limit of active sessions
        ids.add(c.create(Client.sh("sleep 60")));
      }
      assertThat(CrashPoints.reached(held).await(WAIT.toSeconds(), TimeUnit.SECONDS))
          .as("the held session's Pod was created")
          .isTrue();
      assertThat(podsIn(ns, held)).as("its Pod exists").hasSize(1);
      assertThat(
              restarting
                  .bean(Store.class)
                  .sessions()
                  .findWithMachineName(held)
                  .block(WAIT)
                  .machineName())
          .as("its machine is not recorded yet")
          .isNull();
      // the operator stops while that reconcile, and likely others, are under way
      restarting.restart();
      Client again = new Client(restarting.baseUrl(), c.key, c.accountId);
      for (String id : ids) {
        long until = System.nanoTime() + WAIT.toNanos();
        Session s = resourceIn(ns, id);
        while ((s == null || s.getStatus() == null || s.getStatus().getMachineName() == null)
            && System.nanoTime() < until) {
          Client.sleep(100);
          s = resourceIn(ns, id);
        }
        assertThat(s.getStatus()).as("status of " + id).isNotNull();
        assertThat(s.getStatus().getPhase().wire()).isIn("pending", "running");
        assertThat(podsIn(ns, id)).as("pods of " + id).hasSize(1);
        assertThat(s.getStatus().getMachineName())
            .isEqualTo(podsIn(ns, id).get(0).getMetadata().getName());
        assertThat(
                restarting
                    .bean(Store.class)
                    .sessions()
                    .findWithMachineName(id)
                    .block(WAIT)
                    .machineName())
            .as("machine record of " + id)
            .isNotNull();
      }
      assertThat(again.get("/v1/sessions?limit=50").json().get("sessions")).hasSize(10);
      assertThat(kube.resources(Session.class).inNamespace(ns).list().getItems()).hasSize(10);
      assertThat(
              kube.pods().inNamespace(ns).list().getItems().stream()
                  .map(p -> p.getMetadata().getName())
                  .collect(Collectors.toSet()))
          .hasSize(10);
    } finally {
      CrashPoints.release(held);
      restarting.close();
      TestCluster.deleteNamespace(kube, ns);
    }
  }

  private Session resource(String id, String... command) {
    Session s = new Session();
    s.setMetadata(
        new ObjectMetaBuilder()
            .withName(SessionIds.objectName(id))
            .withNamespace(namespace)
            .build());
    SessionSpec spec = new SessionSpec();
    spec.setImage(TestServer.IMAGE);
    spec.setCommand(List.of(command));
    s.setSpec(spec);
    return s;
  }

  private static Session resourceOf(String id) {
    return resourceIn(namespace, id);
  }

  private static Session resourceIn(String ns, String id) {
    return kube.resources(Session.class).inNamespace(ns).withName(SessionIds.objectName(id)).get();
  }

  private static List<Pod> pods(String id) {
    return podsIn(namespace, id);
  }

  private static List<Pod> podsIn(String ns, String id) {
    return kube.pods()
        .inNamespace(ns)
        .withLabel(io.execbox.crds.Labels.SESSION, id)
        .list()
        .getItems();
  }

  private static String machineName(Session s) {
    return s.getStatus() == null ? null : s.getStatus().getMachineName();
  }

  private static Condition condition(Session s, String type) {
    return s.getStatus().getConditions().stream()
        .filter(x -> type.equals(x.getType()))
        .findFirst()
        .orElse(null);
  }

  private static Session awaitResource(String id, java.util.function.Predicate<Session> until) {
    return awaitResourceIn(namespace, id, until);
  }

  private static Session awaitResourceIn(
      String ns, String id, java.util.function.Predicate<Session> until) {
    long deadline = System.nanoTime() + WAIT.toNanos();
    Session s = resourceIn(ns, id);
    while ((s == null || !until.test(s)) && System.nanoTime() < deadline) {
      Client.sleep(100);
      s = resourceIn(ns, id);
    }
    assertThat(s).as("resource of " + id).isNotNull();
    assertThat(until.test(s)).as("resource of " + id + ": " + s.getStatus()).isTrue();
    return s;
  }

  /** The resource version once it has stayed the same for a second. */
  private static String awaitQuiet(String id) {
    String last = resourceOf(id).getMetadata().getResourceVersion();
    long until = System.nanoTime() + WAIT.toNanos();
    while (System.nanoTime() < until) {
      Client.sleep(1000);
      String now = resourceOf(id).getMetadata().getResourceVersion();
      if (now.equals(last)) {
        return now;
      }
      last = now;
    }
    throw new AssertionError("the resource of " + id + " kept changing");
  }

  private static void awaitEvent(String id, Set<String> reasons) {
    awaitEventIn(namespace, id, reasons, null);
  }

  /** Waits for an Event with one of the reasons (and the type, unless null) on the session. */
  private static void awaitEventIn(String ns, String id, Set<String> reasons, String type) {
    String name = SessionIds.objectName(id);
    long until = System.nanoTime() + WAIT.toNanos();
    while (System.nanoTime() < until) {
      boolean seen =
          kube.v1().events().inNamespace(ns).list().getItems().stream()
              .anyMatch(
                  e ->
                      name.equals(e.getInvolvedObject().getName())
                          && reasons.contains(e.getReason())
                          && (type == null || type.equals(e.getType())));
      if (seen) {
        return;
      }
      Client.sleep(200);
    }
    throw new AssertionError("no " + reasons + " event for " + name);
  }
}
