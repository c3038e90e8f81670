package io.execbox.machines.kubernetes;

import static io.execbox.machines.kubernetes.KubernetesBackendIT.WAIT;
import static io.execbox.machines.kubernetes.KubernetesBackendIT.awaitState;
import static org.assertj.core.api.Assertions.assertThat;

import io.execbox.crds.Labels;
import io.execbox.crds.SessionIds;
import io.execbox.crds.SessionSpec;
import io.execbox.machines.Collector;
import io.execbox.machines.IoChannel;
import io.execbox.machines.MachineRef;
import io.execbox.machines.MachineSpec;
import io.execbox.machines.MachineState;
import io.execbox.machines.Observation;
import io.execbox.machines.agent.AgentChannel;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Session Pods whose PID 1 is the in-machine agent, on the real node: every byte through a
 * port-forward, stdout and stderr apart, a real end of stdin, stop and kill through the agent, the
 * exit code right after the last output, and images with nothing in them but the command.
 */
class KubernetesAgentIT {
  static final byte[] KEY = "agent-key-of-the-test".getBytes(StandardCharsets.UTF_8);
  static KubernetesClient client;
  static KubernetesBackend backend;
  static String namespace;

  @BeforeAll
  static void connect() {
    TestCluster.assumePodsRun();
    client = TestCluster.client();
    namespace = TestCluster.freshNamespace(client, "execbox-agent-it");
    backend = backend("inst_agent_it");
  }

  static KubernetesBackend backend(String installation) {
    return new KubernetesBackend(
            client,
            new PodOptions(namespace, "IfNotPresent", installation),
            Duration.ofSeconds(2),
            KEY)
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

  static MachineSpec inImage(String image, String... command) {
    SessionSpec s = new SessionSpec();
    s.setImage(image);
    s.setCommand(List.of(command));
    return new MachineSpec(
        SessionIds.newId(), "acct_agent_it", s, 1000, 128, Instant.now().plusSeconds(300), null);
  }

  static MachineSpec machine(String... command) {
    return inImage(TestCluster.IMAGE, command);
  }

  /** Creates, waits until the Pod runs, connects to the agent and marks it started. */
  static IoChannel start(KubernetesBackend on, MachineSpec m, Collector out) throws Exception {
    MachineRef ref = on.create(m);
    awaitState(on, m.sessionId(), MachineState.CREATED, WAIT);
    IoChannel channel = on.attach(ref, out);
    on.start(ref);
    return channel;
  }

  static String sha256(byte[] b) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
  }

  static byte[] seq(int n) {
    StringBuilder sb = new StringBuilder();
    for (int i = 1; i <= n; i++) {
      sb.append(i).append('\n');
    }
    return sb.toString().getBytes(StandardCharsets.US_ASCII);
  }

  @Test
  void thePodRunsTheAgentAsPid1InFrontOfTheCommandAndNeedsNothingFromTheImage() throws Exception {
    // an image with one static binary and nothing else: no shell, no libc
    MachineSpec m =
        inImage(
            "localhost/execbox-test/noshell:latest",
            "/busybox",
            "sh",
            "-c",
            "echo $$; /busybox ls /x");
    Collector out = new Collector();
    start(backend, m, out);
    out.awaitEnd();
    // the command is not PID 1: the agent is
    assertThat(out.stdout()).as("stderr: " + out.stderr()).matches("[0-9]+\n");
    assertThat(Integer.parseInt(out.stdout().strip())).isGreaterThan(1);
    assertThat(out.stderr()).contains("/x");
    assertThat(backend.awaitExit(backendRef(m), WAIT)).isNotZero();
    Pod pod = client.pods().inNamespace(namespace).withName(PodSpecs.name(m.sessionId())).get();
    assertThat(pod.getMetadata().getLabels()).containsEntry(Labels.AGENT, "true");
    assertThat(pod.getSpec().getContainers().get(0).getCommand().get(0))
        .isEqualTo(PodAgents.BINARY);
    assertThat(client.configMaps().inNamespace(namespace).withName(PodAgents.configMapName()).get())
        .isNotNull();
  }

  private static MachineRef backendRef(MachineSpec m) {
    return backend.observe(m.sessionId()).ref();
  }

  @Test
  void manyRunsOfMegabytesOfOutputArriveByteExact() throws Exception {
    // the output that the Pod's attach once cut short, hashed run after run
    String expected = sha256(seq(700000));
    ExecutorService pool = Executors.newFixedThreadPool(3);
    try {
      List<Future<String>> runs = new ArrayList<>();
      for (int i = 0; i < 9; i++) {
        runs.add(
            pool.submit(
                () -> {
                  Collector out = new Collector();
                  MachineSpec m = machine("sh", "-c", "sleep 1; seq 1 700000");
                  start(backend, m, out);
                  out.awaitEnd();
                  backend.destroy(m.sessionId());
                  return sha256(out.out.toByteArray()) + " " + out.out.size();
                }));
      }
      for (Future<String> r : runs) {
        assertThat(r.get(5, TimeUnit.MINUTES)).isEqualTo(expected + " " + 4788895);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void stdinEndsWithARealEndOfFileAndWhatFollowsOnStderrStaysOnStderr() throws Exception {
    MachineSpec m = machine("sh", "-c", "cat; echo after >&2; exit 4");
    Collector out = new Collector();
    IoChannel io = start(backend, m, out);
    byte[] input = new byte[2 << 20];
    new Random(3).nextBytes(input);
    io.writeStdin(input);
    io.closeStdin();
    out.awaitEnd();
    assertThat(sha256(out.out.toByteArray())).isEqualTo(sha256(input));
    assertThat(out.stderr()).isEqualTo("after\n");
    assertThat(backend.awaitExit(backendRef(m), WAIT)).isEqualTo(4);
  }

  @Test
  void stopEndsAnUntrappedCommandAtOnceWith143AndATrapKeepsItsOutputAndCode() throws Exception {
    MachineSpec m = machine("sh", "-c", "echo ready; sleep 300");
    Collector out = new Collector();
    start(backend, m, out);
    awaitStdout(out, "ready\n");
    MachineRef ref = backendRef(m);
    long t0 = System.nanoTime();
    backend.stop(ref);
    assertThat(backend.awaitExit(ref, WAIT)).isEqualTo(143);
    assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(3));

    MachineSpec t =
        machine("sh", "-c", "trap 'echo bye; exit 7' TERM; echo ready; sleep 300 & wait");
    Collector trapped = new Collector();
    start(backend, t, trapped);
    awaitStdout(trapped, "ready\n");
    backend.stop(backendRef(t));
    trapped.awaitEnd();
    assertThat(trapped.stdout()).isEqualTo("ready\nbye\n");
    assertThat(backend.awaitExit(backendRef(t), WAIT)).isEqualTo(7);
  }

  @Test
  void killEndsTheCommandWith137AndKeepsWhatItWroteBefore() throws Exception {
    MachineSpec m = machine("sh", "-c", "echo started; exec sleep 300");
    Collector out = new Collector();
    start(backend, m, out);
    awaitStdout(out, "started\n");
    MachineRef ref = backendRef(m);
    backend.kill(ref);
    assertThat(backend.awaitExit(ref, WAIT)).isEqualTo(137);
    out.awaitEnd();
    assertThat(out.stdout()).isEqualTo("started\n");
  }

  @Test
  void theExitIsKnownAtOnceAfterTheLastOutput() throws Exception {
    MachineSpec m = machine("sh", "-c", "echo last; exit 9");
    Collector out = new Collector();
    start(backend, m, out);
    out.awaitEnd();
    long lastOutput = out.firstByteNanos;
    Observation obs = backend.observe(m.sessionId());
    assertThat(obs.state()).isEqualTo(MachineState.EXITED);
    assertThat(obs.exitCode()).isEqualTo(9);
    assertThat(Duration.ofNanos(System.nanoTime() - lastOutput)).isLessThan(Duration.ofSeconds(1));
    // acknowledged, the agent exits with the command's code: the kubelet then says so too
    long until = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    Observation kubelet = null;
    while (System.nanoTime() < until) {
      Pod pod = client.pods().inNamespace(namespace).withName(PodSpecs.name(m.sessionId())).get();
      kubelet = PodObservations.observe(pod);
      if (kubelet.state() == MachineState.EXITED) {
        break;
      }
      Thread.sleep(100);
    }
    assertThat(kubelet.state())
        .as("the container's end, as the kubelet reports it")
        .isEqualTo(MachineState.EXITED);
    assertThat(kubelet.exitCode()).isEqualTo(9);
  }

  @Test
  void aConnectionThatBreaksIsDialledAgainAndResumedWithoutLosingAByte() throws Exception {
    MachineSpec m = machine("sh", "-c", "sleep 1; seq 1 1500000");
    Collector out = new Collector();
    start(backend, m, out);
    AgentChannel agent = backend.io().agent(m.sessionId());
    // break the port-forward a few times while the output flows
    for (int i = 0; i < 4 && out.ended.getCount() > 0; i++) {
      Thread.sleep(700);
      agent.breakConnection();
    }
    out.awaitEnd();
    assertThat(sha256(out.out.toByteArray())).isEqualTo(sha256(seq(1500000)));
  }

  @Test
  void aProcessThatDidNotStartASessionReplaysItFromTheAgent() throws Exception {
    MachineSpec m = machine("sh", "-c", "echo one; echo two >&2; read x; echo three:$x");
    Collector first = new Collector();
    IoChannel io = start(backend, m, first);
    awaitStdout(first, "one\n");
    // another process (a restarted operator) takes the session over
    try (KubernetesBackend other = backend("inst_agent_it")) {
      awaitState(other, m.sessionId(), MachineState.RUNNING, WAIT);
      Collector replay = new Collector();
      IoChannel again = other.replay(other.observe(m.sessionId()).ref(), replay);
      again.writeStdin("x\n".getBytes(StandardCharsets.UTF_8));
      replay.awaitEnd();
      assertThat(replay.stdout()).isEqualTo("one\nthree:x\n");
      assertThat(replay.stderr()).isEqualTo("two\n");
      assertThat(other.awaitExit(other.observe(m.sessionId()).ref(), WAIT)).isZero();
    }
    io.close();
  }

  static void awaitStdout(Collector out, String expected) throws InterruptedException {
    long until = System.nanoTime() + WAIT.toNanos();
    while (!out.stdout().equals(expected) && System.nanoTime() < until) {
      Thread.sleep(20);
    }
    assertThat(out.stdout()).isEqualTo(expected);
  }
}
