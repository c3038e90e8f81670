package io.execbox.machines.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import io.execbox.crds.FileSpec;
import io.execbox.crds.Labels;
import io.execbox.crds.NetworkMode;
import io.execbox.crds.PortSpec;
import io.execbox.crds.ResourceSpec;
import io.execbox.crds.SessionIds;
import io.execbox.crds.SessionSpec;
import io.execbox.machines.Collector;
import io.execbox.machines.IoChannel;
import io.execbox.machines.MachineRef;
import io.execbox.machines.MachineSpec;
import io.execbox.machines.MachineState;
import io.execbox.machines.Observation;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The kubernetes driver against the real node: Pods that really run, attach, log and status. */
class KubernetesBackendIT {
  static final Duration WAIT = Duration.ofSeconds(60);
  static KubernetesClient client;
  static KubernetesBackend backend;
  static String namespace;

  @BeforeAll
  static void connect() {
    TestCluster.assumePodsRun();
    client = TestCluster.client();
    namespace = TestCluster.freshNamespace(client, "execbox-it");
    backend =
        new KubernetesBackend(
                client,
                new PodOptions(namespace, "IfNotPresent", "inst_k8s_it"),
                Duration.ofSeconds(2),
                KubernetesAgentIT.KEY)
            .start();
  }

  @AfterAll
  static void cleanUp() {
    if (backend != null) {
      backend.close();
    }
    if (client != null) {
      TestCluster.deleteNamespace(client, namespace);
      client.close();
    }
  }

  static SessionSpec spec(String... command) {
    SessionSpec s = new SessionSpec();
    s.setImage(TestCluster.IMAGE);
    if (command.length > 0) {
      s.setCommand(List.of(command));
    }
    return s;
  }

  /** A session of standalone mode (no owner), its deadline its timeout from now. */
  static MachineSpec machine(SessionSpec s) {
    return new MachineSpec(SessionIds.newId(), "acct_k8s_it", s, 500, 128, deadline(s), null);
  }

  static Instant deadline(SessionSpec s) {
    var r = s.getResources();
    return Instant.now()
        .plusMillis(r != null && r.getTimeoutMs() != null ? r.getTimeoutMs() : 300_000);
  }

  /** Creates, waits until attachable, attaches and releases the command, as the lifecycle does. */
  static MachineRef startAttached(MachineSpec m, Collector out) throws InterruptedException {
    MachineRef ref = backend.create(m);
    awaitState(m.sessionId(), MachineState.CREATED);
    IoChannel channel = backend.attach(ref, out);
    backend.start(ref);
    channels.put(m.sessionId(), channel);
    return ref;
  }

  /** Waits until the output so far is exactly {@code expected}, live over the attach. */
  static void awaitStdout(Collector out, String expected) throws InterruptedException {
    long until = System.nanoTime() + WAIT.toNanos();
    while (!out.stdout().equals(expected) && System.nanoTime() < until) {
      Thread.sleep(20);
    }
    assertThat(out.stdout()).as("live over the attach").isEqualTo(expected);
  }

  static final Map<String, IoChannel> channels = new java.util.concurrent.ConcurrentHashMap<>();

  static Observation awaitState(String sessionId, MachineState state) throws InterruptedException {
    return awaitState(backend, sessionId, state, WAIT);
  }

  static Observation awaitState(
      KubernetesBackend on, String sessionId, MachineState state, Duration wait)
      throws InterruptedException {
    long until = System.nanoTime() + wait.toNanos();
    Observation obs = on.observe(sessionId);
    while (obs.state() != state && System.nanoTime() < until) {
      Thread.sleep(50);
      obs = on.observe(sessionId);
    }
    assertThat(obs.state())
        .as("state of " + sessionId + " (" + obs.reason() + ")")
        .isEqualTo(state);
    return obs;
  }

  @Test
  void stdoutAndStderrArriveApartFromTheFirstByteAndTheExitCodeComesFromThePod() throws Exception {
    Collector out = new Collector();
    MachineRef ref =
        startAttached(machine(spec("sh", "-c", "echo out; echo err >&2; echo out2; exit 3")), out);
    out.awaitEnd();
    assertThat(out.stdout()).isEqualTo("out\nout2\n");
    assertThat(out.stderr()).isEqualTo("err\n");
    assertThat(backend.awaitExit(ref, WAIT)).isEqualTo(3);
    Observation obs = backend.observe(ref.sessionId());
    assertThat(obs.state()).isEqualTo(MachineState.EXITED);
    assertThat(obs.startedAt()).isNotNull();
    assertThat(obs.finishedAt()).isAfterOrEqualTo(obs.startedAt());
  }

  @Test
  void envWorkDirAndFilesBesideTheImagesOwnFiles() throws Exception {
    SessionSpec s = spec("sh", "-c", "pwd; echo $GREETING; cat /etc/extra.conf; ls /etc/passwd");
    s.setEnv(Map.of("GREETING", "hello"));
    s.setWorkDir("/tmp");
    s.setFiles(List.of(new FileSpec("/etc/extra.conf", "x=1\n", null)));
    Collector out = new Collector();
    MachineRef ref = startAttached(machine(s), out);
    out.awaitEnd();
    assertThat(out.stdout()).isEqualTo("/tmp\nhello\nx=1\n/etc/passwd\n");
    assertThat(backend.awaitExit(ref, WAIT)).isZero();
  }

  @Test
  void thePodIsHardenedAndLabelled() throws Exception {
    MachineSpec m =
        machine(spec("sh", "-c", "grep -E 'CapEff|NoNewPrivs|Seccomp:' /proc/self/status"));
    Collector out = new Collector();
    MachineRef ref = startAttached(m, out);
    out.awaitEnd();
    assertThat(out.stdout())
        .contains("CapEff:\t0000000000000000")
        .contains("NoNewPrivs:\t1")
        .contains("Seccomp:\t2");
    Pod pod = client.pods().inNamespace(namespace).withName(ref.name()).get();
    assertThat(pod.getMetadata().getLabels())
        .containsEntry(Labels.SESSION, m.sessionId())
        .containsEntry(Labels.OWNER, "acct_k8s_it")
        .containsEntry(Labels.INSTALLATION, "inst_k8s_it");
    assertThat(pod.getSpec().getAutomountServiceAccountToken()).isFalse();
    Container c = pod.getSpec().getContainers().get(0);
    assertThat(c.getResources().getLimits().get("memory").toString()).isEqualTo("128Mi");
  }

  @Test
  void sessionsCanBeMadeToRunAsANonRootUserWhateverTheImageSays() throws Exception {
    try (KubernetesBackend nonRoot =
        new KubernetesBackend(
                client,
                new PodOptions(namespace, "IfNotPresent", "inst_k8s_it_nonroot", true, 10, 65534L),
                Duration.ofSeconds(2),
                KubernetesAgentIT.KEY)
            .start()) {
      MachineSpec m =
          machine(spec("sh", "-c", "id -u; id -g; touch /etc/x 2>/dev/null || echo ro"));
      MachineRef ref = nonRoot.create(m);
      long until = System.nanoTime() + WAIT.toNanos();
      while (nonRoot.observe(m.sessionId()).state() != MachineState.CREATED
          && System.nanoTime() < until) {
        Thread.sleep(50);
      }
      Collector out = new Collector();
      nonRoot.attach(ref, out);
      nonRoot.start(ref);
      out.awaitEnd();
      assertThat(out.stdout()).isEqualTo("65534\n65534\nro\n");
      nonRoot.destroy(m.sessionId());
    }
  }

  @Test
  void aMissingImageIsBrokenWithAReasonWithinSecondsAndAMissingCommandExits127() throws Exception {
    SessionSpec noImage = spec("true");
    noImage.setImage("localhost/execbox-test/no-such-image:1");
    MachineSpec m = machine(noImage);
    backend.create(m);
    Observation broken = awaitState(m.sessionId(), MachineState.BROKEN);
    assertThat(broken.reason()).containsAnyOf("ErrImagePull", "ImagePullBackOff");

    // behind the agent, as behind a shell: 127 and the reason on stderr
    Collector out = new Collector();
    MachineSpec bad = machine(spec("/no/such/binary"));
    MachineRef ref = startAttached(bad, out);
    out.awaitEnd();
    assertThat(backend.awaitExit(ref, WAIT)).isEqualTo(127);
    assertThat(out.stderr()).contains("cannot run /no/such/binary");
  }

  @Test
  void eachNetworkModeHasItsPolicyOnTheClusterAndAnExposedSessionItsService() throws Exception {
    SessionSpec none = spec("sh", "-c", "echo isolated");
    none.setNetwork(NetworkMode.NONE);
    MachineSpec n = machine(none);
    Collector noneOut = new Collector();
    MachineRef noneRef = startAttached(n, noneOut);
    SessionSpec exposed = spec("sh", "-c", "sleep 300");
    exposed.setNetwork(NetworkMode.EXPOSED);
    exposed.setPorts(List.of(new PortSpec(8080, null)));
    MachineSpec e = machine(exposed);
    MachineRef exposedRef = startAttached(e, new Collector());
    Observation running = awaitState(e.sessionId(), MachineState.RUNNING);
    assertThat(running.ports())
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.containerPort()).isEqualTo(8080);
              assertThat(p.protocol()).isEqualTo("tcp");
              assertThat(p.host()).isEqualTo(exposedRef.name() + "." + namespace + ".svc");
              assertThat(p.hostPort()).isEqualTo(8080);
            });

    var policies = client.network().v1().networkPolicies().inNamespace(namespace);
    var denyAll = policies.withName("execbox-network-none").get();
    assertThat(denyAll).as("the none policy").isNotNull();
    assertThat(denyAll.getSpec().getPolicyTypes()).containsExactly("Egress");
    assertThat(denyAll.getSpec().getEgress()).as("no egress rule: all egress denied").isEmpty();
    Pod nonePod = client.pods().inNamespace(namespace).withName(noneRef.name()).get();
    assertThat(nonePod.getMetadata().getLabels())
        .containsAllEntriesOf(denyAll.getSpec().getPodSelector().getMatchLabels());

    var egress = policies.withName("execbox-network-exposed").get();
    assertThat(egress).as("the exposed policy").isNotNull();
    assertThat(egress.getSpec().getEgress().get(0).getTo().get(0).getIpBlock().getExcept())
        .contains("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16");
    Pod exposedPod = client.pods().inNamespace(namespace).withName(exposedRef.name()).get();
    assertThat(exposedPod.getMetadata().getLabels())
        .containsAllEntriesOf(egress.getSpec().getPodSelector().getMatchLabels())
        .doesNotContainEntry(PodSpecs.NETWORK_LABEL, "none");

    var service = client.services().inNamespace(namespace).withName(exposedRef.name()).get();
    assertThat(service).as("the exposed session's Service").isNotNull();
    assertThat(exposedPod.getMetadata().getLabels())
        .containsAllEntriesOf(service.getSpec().getSelector());
    assertThat(service.getSpec().getPorts())
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.getPort()).isEqualTo(8080);
              assertThat(p.getTargetPort().getIntVal()).isEqualTo(8080);
              assertThat(p.getProtocol()).isEqualTo("TCP");
            });
    assertThat(client.services().inNamespace(namespace).withName(noneRef.name()).get())
        .as("no Service for a session that is not exposed")
        .isNull();

    assertThat(backend.awaitExit(noneRef, WAIT)).isEqualTo(0);
    noneOut.awaitEnd();
    assertThat(noneOut.stdout()).isEqualTo("isolated\n");
    backend.kill(exposedRef);
    assertThat(backend.awaitExit(exposedRef, WAIT)).isEqualTo(137);
    backend.destroy(e.sessionId());
    backend.destroy(n.sessionId());
    assertThat(client.services().inNamespace(namespace).withName(exposedRef.name()).get())
        .as("the Service goes with its session")
        .isNull();
  }

  @Test
  void aPodThatCanNeverStartIsBrokenWithTheKubeletsReasonWithinSeconds() throws Exception {
    // pull policy Never, and Pods that request all of the CPU they may use
    try (KubernetesBackend strict =
        new KubernetesBackend(
                client,
                new PodOptions(namespace, "Never", "inst_k8s_it_strict", true, 100, null),
                Duration.ofSeconds(2),
                KubernetesAgentIT.KEY)
            .start()) {
      SessionSpec absent = spec("true");
      absent.setImage("localhost/execbox-test/never-pulled:1");
      MachineSpec neverPulled = machine(absent);
      SessionSpec huge = spec("true");
      ResourceSpec r = new ResourceSpec();
      r.setCpuMillis(8000);
      huge.setResources(r);
      // 8 CPUs requested of a 2-core node
      MachineSpec tooBig =
          new MachineSpec(SessionIds.newId(), "acct_k8s_it", huge, 8000, 128, deadline(huge), null);
      strict.create(neverPulled);
      strict.create(tooBig);
      Duration seconds = Duration.ofSeconds(15);
      assertThat(awaitState(strict, neverPulled.sessionId(), MachineState.BROKEN, seconds).reason())
          .startsWith("ErrImageNeverPull");
      assertThat(awaitState(strict, tooBig.sessionId(), MachineState.BROKEN, seconds).reason())
          .startsWith("Unschedulable");
      strict.destroy(neverPulled.sessionId());
      strict.destroy(tooBig.sessionId());
    }
  }

  @Test
  void theKubeletsOwnDeadlineKillsWith137() throws Exception {
    // the lifecycle normally kills at the session's deadline; the Pod's activeDeadlineSeconds, a
    // few seconds later, is the backstop that holds even when no operator is there
    SessionSpec s = spec("sh", "-c", "echo started; sleep 300");
    ResourceSpec r = new ResourceSpec();
    r.setTimeoutMs(1000);
    s.setResources(r);
    MachineSpec m = machine(s);
    Collector out = new Collector();
    MachineRef ref = startAttached(m, out);
    Pod pod = client.pods().inNamespace(namespace).withName(ref.name()).get();
    assertThat(pod.getSpec().getActiveDeadlineSeconds()).isEqualTo(6L);
    // the kubelet's SIGTERM reaches the command through the agent first (143, reported at once);
    // the Pod's own status then says what happened, which is what observing it gives from then on
    long until = System.nanoTime() + WAIT.toNanos();
    Observation killed = backend.observe(m.sessionId());
    while (!"DeadlineExceeded".equals(killed.reason()) && System.nanoTime() < until) {
      Thread.sleep(100);
      killed = backend.observe(m.sessionId());
    }
    assertThat(killed.state()).isEqualTo(MachineState.EXITED);
    assertThat(killed.exitCode()).isEqualTo(137);
    assertThat(killed.reason()).isEqualTo("DeadlineExceeded");
    assertThat(out.stdout()).isEqualTo("started\n");
    backend.destroy(m.sessionId());
  }

  @Test
  void killEndsTheCommandWith137AndDestroyRemovesEverything() throws Exception {
    SessionSpec s = spec("sh", "-c", "echo started; sleep 300");
    s.setFiles(List.of(new FileSpec("/tmp/f", "f", null)));
    MachineSpec m = machine(s);
    Collector out = new Collector();
    MachineRef ref = startAttached(m, out);
    awaitState(m.sessionId(), MachineState.RUNNING);
    // RUNNING comes before the first output does: a kill ends the output where it stands
    awaitStdout(out, "started\n");
    backend.kill(ref);
    assertThat(backend.awaitExit(ref, WAIT)).isEqualTo(137);
    out.awaitEnd();
    assertThat(out.stdout()).isEqualTo("started\n");
    backend.destroy(m.sessionId());
    assertThat(backend.observe(m.sessionId()).state()).isEqualTo(MachineState.ABSENT);
    assertThat(client.pods().inNamespace(namespace).withName(ref.name()).get()).isNull();
    assertThat(client.secrets().inNamespace(namespace).withName(ref.name() + "-files").get())
        .isNull();
    assertThat(backend.list()).noneMatch(x -> m.sessionId().equals(x.sessionId()));
  }

  @Test
  void stopSendsSigtermAndTheExitCodeOutlivesThePod() throws Exception {
    MachineSpec m =
        machine(
            spec(
                "sh",
                "-c",
                "trap 'echo term; exit 143' TERM; echo ready; while :; do sleep 0.1; done"));
    Collector out = new Collector();
    MachineRef ref = startAttached(m, out);
    awaitState(m.sessionId(), MachineState.RUNNING);
    long until = System.nanoTime() + WAIT.toNanos();
    while (!out.stdout().contains("ready") && System.nanoTime() < until) {
      Thread.sleep(20);
    }
    backend.stop(ref);
    assertThat(backend.awaitExit(ref, WAIT)).isEqualTo(143);
    out.awaitEnd();
    assertThat(out.stdout()).isEqualTo("ready\nterm\n");
  }

  @Test
  void anImagesDefaultCommandRunsUngatedWithItsOutputFromTheLog() throws Exception {
    // busybox's default command is sh, which runs what it reads on its stdin
    MachineSpec m = machine(spec());
    MachineRef ref = backend.create(m);
    Pod pod = client.pods().inNamespace(namespace).withName(ref.name()).get();
    assertThat(pod.getMetadata().getLabels()).doesNotContainKey(PodSpecs.GATED_LABEL);
    awaitState(m.sessionId(), MachineState.CREATED);
    Collector out = new Collector();
    IoChannel io = backend.attach(ref, out);
    backend.start(ref);
    io.writeStdin("echo from-the-image; echo err >&2; exit 5\n".getBytes(StandardCharsets.UTF_8));
    io.closeStdin();
    out.awaitEnd();
    assertThat(backend.awaitExit(ref, WAIT)).isEqualTo(5);
    // the log merges the two pipes in the order the runtime read them, not the order written
    assertThat(out.stdout())
        .as("from the Pod's log: merged onto stdout")
        .contains("from-the-image\n", "err\n")
        .hasSize("from-the-image\nerr\n".length());
    assertThat(out.stderr()).isEmpty();
  }
}
