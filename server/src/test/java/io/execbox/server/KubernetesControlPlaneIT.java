package io.execbox.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.execbox.crds.Annotations;
import io.execbox.crds.FileSpec;
import io.execbox.crds.Labels;
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

  /**
   * Sessions named as kubectl users name them: two named {@code hello} in two namespaces (two
   * replicas of one installation, one database, each namespace with its own account) are two
   * sessions, each with the id derived from its uid in its status and label and as a printer
   * column, reached through the API with its namespace's key; applying one again makes no second
   * row; the API deletes the one in the other namespace, not the one of its own namespace by that
   * name; kubectl deletes the other through the finalizer.
   */
  @Test
  void sessionsNamedAsKubectlUsersNameThemRunAndTheApiReachesThemByTheIdInTheirStatus() {
    TestCluster.assumePodsRun();
    String ns2 = TestServer.kubernetesNamespace("execbox-cp-names");
    Map<String, Object> config = new HashMap<>(TestServer.kubernetesMode(ns2));
    config.put("execbox.kubernetes.namespace-accounts", ns2 + "=acct_names_team");
    TestServer second = server.replica(config);
    try {
      Client home = keyOf(server, "acct_kubernetes");
      Client team = keyOf(second, "acct_names_team");
      apply(named(namespace, "hello", "sh", "-c", "echo hello; exit 3"));
      apply(named(ns2, "hello", "sleep", "300"));

      Session done = awaitNamed(namespace, "hello", r -> phase(r).equals("stopped"));
      String id = done.getStatus().getSessionId();
      assertThat(id)
          .as("the id derived from the uid")
          .isEqualTo("sess_" + sha256Hex(done.getMetadata().getUid()).substring(0, 24));
      assertThat(done.getStatus().getExitCode()).isEqualTo(3);
      assertThat(done.getMetadata().getLabels()).containsEntry(Labels.SESSION, id);
      assertThat(done.getStatus().getMachineName())
          .as("the machine is named from the id")
          .isEqualTo(SessionIds.objectName(id));
      assertThat(kubectlGet(namespace, "hello"))
          .as("kubectl get sessions")
          .containsEntry("Session", id)
          .containsEntry("Status", "stopped")
          .containsEntry("Exit", 3);
      JsonNode row = home.get("/v1/sessions/" + id).json();
      assertThat(row.get("status").asText()).as(row.toString()).isEqualTo("stopped");
      assertThat(row.get("exitCode").asInt()).isEqualTo(3);
      assertThat(team.get("/v1/sessions/" + id).status())
          .as("another namespace's account does not see it")
          .isEqualTo(404);

      Session running = awaitNamed(ns2, "hello", r -> phase(r).equals("running"));
      String other = running.getStatus().getSessionId();
      assertThat(other).matches(SessionIds.PATTERN).isNotEqualTo(id);
      assertThat(running.getMetadata().getLabels()).containsEntry(Labels.SESSION, other);
      assertThat(team.get("/v1/sessions/" + other).json().get("status").asText())
          .isEqualTo("running");
      assertThat(podsIn(ns2, other)).hasSize(1);

      // applied again, as kubectl apply does with an unchanged file: still one session
      apply(named(namespace, "hello", "sh", "-c", "echo hello; exit 3"));
      Client.sleep(2000);
      assertThat(home.get("/v1/sessions?limit=50").json().findValuesAsText("id"))
          .as("the rows of the namespace's account")
          .containsOnlyOnce(id);
      assertThat(sessionNamed(namespace, "hello").getStatus().getSessionId()).isEqualTo(id);

      // the API of this namespace's replica deletes the other namespace's hello (the resource its
      // row names), through the finalizer; this namespace's hello stays
      Client teamHere = new Client(server.baseUrl(), team.key, team.accountId);
      assertThat(teamHere.delete("/v1/sessions/" + other).status()).isIn(200, 202, 204);
      awaitGone(ns2, "hello", other);
      assertThat(team.get("/v1/sessions/" + other).json().get("status").asText())
          .isEqualTo("killed");
      assertThat(sessionNamed(namespace, "hello"))
          .as("the hello of the API's namespace")
          .isNotNull();

      // kubectl delete session hello: through the finalizer, the row kept and finished
      kube.resources(Session.class).inNamespace(namespace).withName("hello").delete();
      awaitGone(namespace, "hello", id);
      assertThat(server.bean(Store.class).sessions().findById(id).block(WAIT).reconcileAt())
          .as("finished")
          .isNull();
      assertThat(home.get("/v1/sessions/" + id).json().get("status").asText()).isEqualTo("stopped");
    } finally {
      second.close();
      TestCluster.deleteNamespace(kube, ns2);
    }
  }

  /**
   * A freely named Session keeps its id and its one row and Pod across an operator restart, is
   * stopped through the API, and goes with kubectl delete through the finalizer.
   */
  @Test
  void aFreelyNamedSessionSurvivesARestartIsStoppedThroughTheApiAndDeletedWithKubectl() {
    TestCluster.assumePodsRun();
    apply(named(namespace, "build-42", "sleep", "300"));
    Session running = awaitNamed(namespace, "build-42", r -> phase(r).equals("running"));
    String id = running.getStatus().getSessionId();
    assertThat(id).matches(SessionIds.PATTERN);
    assertThat(running.getMetadata().getLabels()).containsEntry(Labels.SESSION, id);

    server.restart();
    Client home = keyOf(server, "acct_kubernetes");
    assertThat(home.get("/v1/sessions/" + id).json().get("status").asText()).isEqualTo("running");
    Client.Response stop = home.post("/v1/sessions/" + id + "/stop", "");
    assertThat(stop.status()).as(stop.text()).isEqualTo(200);
    Session stopped =
        awaitNamed(
            namespace,
            "build-42",
            r -> phase(r).equals("stopped") && r.getStatus().getExitCode() != null);
    assertThat(stopped.getMetadata().getAnnotations())
        .as("the API's stop reached the resource")
        .containsKey(Annotations.STOP_REQUESTED);
    assertThat(stopped.getStatus().getSessionId()).isEqualTo(id);
    long until = System.nanoTime() + WAIT.toNanos();
    while (!podsIn(namespace, id).isEmpty() && System.nanoTime() < until) {
      Client.sleep(200);
    }
    assertThat(podsIn(namespace, id)).as("its Pod, killed after the grace").isEmpty();
    JsonNode row = home.get("/v1/sessions/" + id).json();
    assertThat(row.get("status").asText()).isEqualTo("stopped");
    assertThat(home.get("/v1/sessions?limit=50").json().findValuesAsText("id"))
        .as("one row, made before the restart")
        .containsOnlyOnce(id);
    kube.resources(Session.class).inNamespace(namespace).withName("build-42").delete();
    awaitGone(namespace, "build-42", id);
    assertThat(server.bean(Store.class).sessions().findById(id).block(WAIT).reconcileAt()).isNull();
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
    assertThat(s.getMetadata().getName())
        .as("named by the API")
        .isEqualTo(SessionIds.objectName(id));
    assertThat(s.getStatus().getSessionId()).isEqualTo(id);
    assertThat(s.getMetadata().getLabels()).containsEntry(Labels.SESSION, id);
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

  /** A Session as a user writes it in a file: a name of their choosing, no labels, no status. */
  private static Session named(String ns, String name, String... command) {
    Session s = new Session();
    s.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(ns).build());
    SessionSpec spec = new SessionSpec();
    spec.setImage(TestServer.IMAGE);
    spec.setCommand(List.of(command));
    s.setSpec(spec);
    return s;
  }

  /** As {@code kubectl apply --server-side} does: creates the resource, or applies it again. */
  private static void apply(Session s) {
    kube.resource(s).fieldManager("kubectl").forceConflicts().serverSideApply();
  }

  private static Session sessionNamed(String ns, String name) {
    return kube.resources(Session.class).inNamespace(ns).withName(name).get();
  }

  private static String phase(Session s) {
    return s.getStatus() == null || s.getStatus().getPhase() == null
        ? ""
        : s.getStatus().getPhase().wire();
  }

  private static Session awaitNamed(
      String ns, String name, java.util.function.Predicate<Session> until) {
    long deadline = System.nanoTime() + WAIT.toNanos();
    Session s = sessionNamed(ns, name);
    while ((s == null || !until.test(s)) && System.nanoTime() < deadline) {
      Client.sleep(200);
      s = sessionNamed(ns, name);
    }
    assertThat(s).as("Session " + ns + "/" + name).isNotNull();
    assertThat(until.test(s))
        .as("Session " + ns + "/" + name + ": " + s.getMetadata() + " " + s.getStatus())
        .isTrue();
    return s;
  }

  /** Waits until the resource and the Pods of its session are gone. */
  private static void awaitGone(String ns, String name, String id) {
    long until = System.nanoTime() + WAIT.toNanos();
    while ((sessionNamed(ns, name) != null || !podsIn(ns, id).isEmpty())
        && System.nanoTime() < until) {
      Client.sleep(200);
    }
    assertThat(sessionNamed(ns, name)).as("Session " + ns + "/" + name + " deleted").isNull();
    assertThat(podsIn(ns, id)).as("the Pods of " + id).isEmpty();
  }

  /** A client with a new key of an existing account (the account of a namespace, say). */
  private static Client keyOf(TestServer s, String account) {
    Client.Response r =
        Client.raw(
            s.baseUrl(),
            "POST",
            "/v1/admin/keys",
            "{\"name\":\"names\",\"accountId\":\"" + account + "\"}",
            TestServer.ADMIN_TOKEN);
    assertThat(r.status()).as(r.text()).isEqualTo(201);
    return new Client(s.baseUrl(), r.json().get("key").asText(), account);
  }

  /**
   * The row kubectl get shows for a Session (the apiserver's Table rendering, from the CRD's
   * printer columns): column name → cell.
   */
  private static Map<String, Object> kubectlGet(String ns, String name) {
    try {
      String url =
          kube.getMasterUrl()
              .toURI()
              .resolve("/apis/execbox.io/v1alpha1/namespaces/" + ns + "/sessions/" + name)
              .toString();
      var http = kube.getHttpClient();
      var request =
          http.newHttpRequestBuilder()
              .uri(url)
              .header("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io")
              .build();
      String body = http.sendAsync(request, String.class).get(30, TimeUnit.SECONDS).body();
      JsonNode table = Client.JSON.readTree(body);
      Map<String, Object> row = new java.util.LinkedHashMap<>();
      JsonNode cells = table.at("/rows/0/cells");
      JsonNode columns = table.get("columnDefinitions");
      assertThat(columns).as(body).isNotNull();
      for (int i = 0; i < columns.size(); i++) {
        JsonNode cell = cells.get(i);
        row.put(
            columns.get(i).get("name").asText(),
            cell == null || cell.isNull() ? null : cell.isInt() ? cell.asInt() : cell.asText());
      }
      return row;
    } catch (Exception e) {
      throw new AssertionError("kubectl get sessions " + name + ": " + e, e);
    }
  }

  private static String sha256Hex(String s) {
    try {
      return java.util.HexFormat.of()
          .formatHex(
              java.security.MessageDigest.getInstance("SHA-256")
                  .digest(s.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }
}
