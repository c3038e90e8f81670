package io.execbox.machines.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.execbox.crds.FileSpec;
import io.execbox.crds.NetworkMode;
import io.execbox.crds.PortSpec;
import io.execbox.crds.SessionIds;
import io.execbox.crds.SessionSpec;
import io.execbox.machines.Collector;
import io.execbox.machines.IoChannel;
import io.execbox.machines.MachineException;
import io.execbox.machines.MachineRef;
import io.execbox.machines.MachineSpec;
import io.execbox.machines.MachineState;
import io.execbox.machines.MachineSummary;
import io.execbox.machines.Observation;
import io.execbox.machines.PublishedPort;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;

/** The docker backend against the real Podman of DOCKER_HOST. */
@EnabledIfEnvironmentVariable(
    named = "DOCKER_HOST",
    matches = ".*\\S.*",
    disabledReason =
        "DOCKER_HOST is unset: set DOCKER_HOST=unix:///path/to/podman.sock to run DockerBackendIT")
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class DockerBackendIT {
  static final String IMAGE = "localhost/execbox-test/busybox:latest";
  static final String OWNER = "acct_docker_it";
  static final Duration WAIT = Duration.ofSeconds(30);

  /** Far enough: the docker backend has no deadline of its own, the lifecycle enforces it. */
  static final Instant DEADLINE = Instant.now().plusSeconds(3600);

  static DockerClient client;
  static DockerBackend backend;
  final List<String> sessions = new ArrayList<>();

  @BeforeAll
  static void connect() {
    String host = System.getenv("DOCKER_HOST");
    client = new DockerClient(DockerHost.resolve(host));
    backend = new DockerBackend(client, DockerOptions.defaults());
    backend.ping();
  }

  @AfterEach
  void destroyWhatTheTestCreated() {
    sessions.forEach(backend::destroy);
    for (String s : sessions) {
      assertThat(backend.observe(s).state()).isEqualTo(MachineState.ABSENT);
    }
  }

  @AfterAll
  static void nothingLeftBehind() {
    if (backend != null) {
      assertThat(backend.list()).noneMatch(m -> OWNER.equals(m.ownerId()));
    }
  }

  record Run(MachineRef ref, Collector output, int exitCode) {}

  static SessionSpec spec(String... command) {
    SessionSpec s = new SessionSpec();
    s.setImage(IMAGE);
    if (command.length > 0) {
      s.setCommand(List.of(command));
    }
    return s;
  }

  MachineSpec machine(SessionSpec spec) {
    return machine(spec, 256);
  }

  MachineSpec machine(SessionSpec spec, int memoryMB) {
    String id = SessionIds.newId();
    sessions.add(id);
    return new MachineSpec(id, OWNER, spec, 1000, memoryMB, DEADLINE, null);
  }

  /** Create, attach, start, wait: the lifecycle's order. */
  Run run(SessionSpec spec) throws Exception {
    return run(machine(spec));
  }

  Run run(MachineSpec m) throws Exception {
    MachineRef ref = backend.create(m);
    Collector c = new Collector();
    try (IoChannel io = backend.attach(ref, c)) {
      backend.start(ref);
      c.awaitEnd();
    }
    return new Run(ref, c, backend.awaitExit(ref, WAIT));
  }

  @Test
  void echoThroughAttachBeforeStart() throws Exception {
    List<Long> firstByteMillis = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      MachineSpec m = machine(spec("echo", "hi"));
      long t0 = System.nanoTime();
      MachineRef ref = backend.create(m);
      Collector c = new Collector();
      try (IoChannel io = backend.attach(ref, c)) {
        backend.start(ref);
        c.awaitEnd();
      }
      firstByteMillis.add(TimeUnit.NANOSECONDS.toMillis(c.firstByteNanos - t0));
      assertThat(c.stdout()).isEqualTo("hi\n");
      assertThat(c.stderr()).isEmpty();
      assertThat(c.ends.get()).isEqualTo(1);
      assertThat(backend.awaitExit(ref, WAIT)).isZero();
      assertThat(ref.name()).isEqualTo("execbox-" + SessionIds.objectName(m.sessionId()));
    }
    System.out.println("create -> first output byte (ms), echo hi via attach: " + firstByteMillis);
  }

  @Test
  void exitCodeThroughAwaitExitAndObserve() throws Exception {
    Run r = run(spec("sh", "-c", "exit 42"));
    assertThat(r.exitCode()).isEqualTo(42);
    Observation o = backend.observe(r.ref().sessionId());
    assertThat(o.state()).isEqualTo(MachineState.EXITED);
    assertThat(o.exitCode()).isEqualTo(42);
    assertThat(o.oomKilled()).isFalse();
    assertThat(o.ref()).isEqualTo(r.ref());
    assertThat(o.startedAt()).isNotNull();
    assertThat(o.finishedAt()).isNotNull().isAfterOrEqualTo(o.startedAt().minusMillis(50));
    assertThat(o.ports()).isEmpty();

    // Starting, stopping or killing an exited machine does nothing.
    backend.start(r.ref());
    backend.stop(r.ref());
    backend.kill(r.ref());
    Observation again = backend.observe(r.ref().sessionId());
    assertThat(again.state()).isEqualTo(MachineState.EXITED);
    assertThat(again.exitCode()).isEqualTo(42);
    assertThat(again.startedAt()).isEqualTo(o.startedAt());
  }

  @Test
  void theEngineApiWaitGivesTheSameExitCode() throws Exception {
    DockerBackend compat = new DockerBackend(client, DockerOptions.defaults());
    compat.useCompatWait();
    MachineRef ref = compat.create(machine(spec("sh", "-c", "sleep 0.3; exit 7")));
    compat.start(ref);
    assertThat(compat.awaitExit(ref, WAIT)).isEqualTo(7);
    assertThat(compat.awaitExit(ref, WAIT)).isEqualTo(7);
  }

  @Test
  void stderrOnlyOnStderr() throws Exception {
    Run r = run(spec("sh", "-c", "echo oops >&2"));
    assertThat(r.output().stderr()).isEqualTo("oops\n");
    assertThat(r.output().stdout()).isEmpty();
    assertThat(r.exitCode()).isZero();
  }

  @Test
  void interleavedStreamsKeepTheirOwnOrder() throws Exception {
    Run r = run(spec("sh", "-c", "for i in 1 2 3 4 5 6 7 8; do echo out$i; echo err$i >&2; done"));
    StringBuilder out = new StringBuilder();
    StringBuilder err = new StringBuilder();
    for (int i = 1; i <= 8; i++) {
      out.append("out").append(i).append('\n');
      err.append("err").append(i).append('\n');
    }
    assertThat(r.output().stdout()).isEqualTo(out.toString());
    assertThat(r.output().stderr()).isEqualTo(err.toString());
  }

  @Test
  void stdinLinesThenHalfClose() throws Exception {
    MachineSpec m = machine(spec("sh", "-c", "cat; echo done"));
    MachineRef ref = backend.create(m);
    Collector c = new Collector();
    try (IoChannel io = backend.attach(ref, c)) {
      backend.start(ref);
      assertThat(io.stdinOpen()).isTrue();
      io.writeStdin("line 1\n".getBytes(StandardCharsets.UTF_8));
      io.writeStdin("line 2\n".getBytes(StandardCharsets.UTF_8));
      io.closeStdin();
      io.closeStdin();
      assertThat(io.stdinOpen()).isFalse();
      c.awaitEnd();
    }
    assertThat(c.stdout()).isEqualTo("line 1\nline 2\ndone\n");
    assertThat(backend.awaitExit(ref, WAIT)).isZero();
  }

  @Test
  void environmentAndWorkDir() throws Exception {
    SessionSpec s = spec("sh", "-c", "echo \"$GREETING|$EMPTY|\"; pwd");
    Map<String, String> env = new LinkedHashMap<>();
    env.put("GREETING", "hello world");
    env.put("EMPTY", "");
    s.setEnv(env);
    s.setWorkDir("/tmp");
    assertThat(run(s).output().stdout()).isEqualTo("hello world||\n/tmp\n");

    SessionSpec missingDir = spec("pwd");
    missingDir.setWorkDir("/srv/new/dir");
    assertThat(run(missingDir).output().stdout()).isEqualTo("/srv/new/dir\n");
  }

  @Test
  void filesAreWrittenBeforeTheCommandStarts() throws Exception {
    byte[] binary = new byte[256];
    for (int i = 0; i < binary.length; i++) {
      binary[i] = (byte) i;
    }
    SessionSpec s =
        spec(
            "sh",
            "-c",
            "cat /app/sub/main.txt; sha256sum /app/sub/data.bin; cat /etc/extra.conf;"
                + " grep -c root /etc/passwd; cat /tmp/t.txt;"
                + " stat -c '%a %n' /tmp /app /app/sub /app/sub/main.txt");
    s.setFiles(
        List.of(
            new FileSpec("/app/sub/main.txt", "héllo wörld\n", "utf8"),
            new FileSpec("/app/sub/data.bin", Base64.getEncoder().encodeToString(binary), "base64"),
            new FileSpec("/etc/extra.conf", "key=value\n", null),
            new FileSpec("/tmp/t.txt", "in tmp\n", null)));
    Run r = run(s);
    String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(binary));
    assertThat(r.output().stderr()).isEmpty();
    assertThat(r.output().stdout())
        .isEqualTo(
            "héllo wörld\n"
                + sha
                + "  /app/sub/data.bin\n"
                + "key=value\n"
                + "1\n"
                + "in tmp\n"
                // /tmp keeps the image's 1777; new parents are 0755, files 0644.
                + "1777 /tmp\n755 /app\n755 /app/sub\n644 /app/sub/main.txt\n");
  }

  @Test
  void memoryLimitKillsWith137() throws Exception {
    Run r = run(machine(spec("dd", "if=/dev/zero", "of=/dev/null", "bs=200M", "count=1"), 128));
    assertThat(r.exitCode()).isEqualTo(137);
    Observation o = backend.observe(r.ref().sessionId());
    assertThat(o.state()).isEqualTo(MachineState.EXITED);
    assertThat(o.exitCode()).isEqualTo(137);
    // The kernel OOM-kills in the container's memory cgroup, but Podman 4.3 on this host's cgroup
    // v1 never sets OOMKilled (its own `podman inspect` says false too): whatever the runtime
    // says is passed on unchanged.
    boolean runtimeSays =
        client
            .get(DockerClient.API + "/containers/" + r.ref().machineId() + "/json")
            .json(client.mapper())
            .path("State")
            .path("OOMKilled")
            .asBoolean();
    assertThat(o.oomKilled()).isEqualTo(runtimeSays);
    assertThat(o.reason()).isEqualTo(runtimeSays ? "OOMKilled" : null);
    System.out.println("memory limit: exit 137, runtime reports OOMKilled=" + runtimeSays);
  }

  @Test
  void cpuAndMemoryLimitsAreAppliedByTheRuntime() throws Exception {
    String id = SessionIds.newId();
    sessions.add(id);
    MachineRef ref =
        backend.create(new MachineSpec(id, OWNER, spec("true"), 500, 192, DEADLINE, null));
    JsonNode host =
        client
            .get(DockerClient.API + "/containers/" + ref.machineId() + "/json")
            .json(client.mapper())
            .path("HostConfig");
    // the runtime's own record of the limits it will enforce: half a CPU, 192 MiB, no swap
    assertThat(host.path("NanoCpus").asLong()).isEqualTo(500_000_000L);
    assertThat(host.path("Memory").asLong()).isEqualTo(192L << 20);
    assertThat(host.path("MemorySwap").asLong()).isEqualTo(192L << 20);
    assertThat(host.path("PidsLimit").asLong()).isPositive();
  }

  @Test
  void networkNoneHasOnlyLoopback() throws Exception {
    SessionSpec s = spec("ls", "/sys/class/net");
    s.setNetwork(NetworkMode.NONE);
    assertThat(run(s).output().stdout()).isEqualTo("lo\n");
  }

  @Test
  void exposedPortIsReachableOnLoopback() throws Exception {
    // Port 80 also proves NET_BIND_SERVICE for exposed sessions.
    SessionSpec s = spec("nc", "-l", "-p", "80", "-e", "echo", "hi");
    s.setNetwork(NetworkMode.EXPOSED);
    s.setPorts(List.of(new PortSpec(80, "tcp")));
    MachineRef ref = backend.create(machine(s));
    Collector c = new Collector();
    try (IoChannel io = backend.attach(ref, c)) {
      backend.start(ref);
      Observation o = backend.observe(ref.sessionId());
      assertThat(o.state()).isEqualTo(MachineState.RUNNING);
      assertThat(o.ports()).hasSize(1);
      PublishedPort p = o.ports().get(0);
      assertThat(p.containerPort()).isEqualTo(80);
      assertThat(p.protocol()).isEqualTo("tcp");
      assertThat(p.host()).isEqualTo("127.0.0.1");
      assertThat(p.hostPort()).isPositive();
      assertThat(readFrom(p.hostPort())).isEqualTo("hi\n");
      c.awaitEnd();
    }
    assertThat(backend.awaitExit(ref, WAIT)).isZero();
  }

  /** Connects to 127.0.0.1 only, retrying while nc starts listening. */
  private static String readFrom(int port) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (true) {
      try (Socket socket = new Socket()) {
        socket.connect(new InetSocketAddress("127.0.0.1", port), 2000);
        socket.setSoTimeout(5000);
        InputStream in = socket.getInputStream();
        String got = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        if (!got.isEmpty() || System.nanoTime() > deadline) {
          return got;
        }
      } catch (ConnectException e) {
        if (System.nanoTime() > deadline) {
          throw e;
        }
      }
      Thread.sleep(50);
    }
  }

  @Test
  void missingImageIsImageNotFoundAndLeavesNothing() {
    SessionSpec s = spec("true");
    s.setImage("localhost/execbox-test/nope:1");
    MachineSpec m = machine(s);
    assertThatThrownBy(() -> backend.create(m))
        .isInstanceOfSatisfying(
            MachineException.class,
            e -> {
              assertThat(e.kind()).isEqualTo(MachineException.Kind.IMAGE_NOT_FOUND);
              assertThat(e.getMessage())
                  .contains("localhost/execbox-test/nope:1", "not found locally");
            });
    assertThat(backend.observe(m.sessionId()).state()).isEqualTo(MachineState.ABSENT);
    assertThat(backend.list()).noneMatch(x -> m.sessionId().equals(x.sessionId()));
  }

  /**
   * The runtime's init is PID 1 and runs the command, so the runtime no longer refuses a command
   * that is not there: the init reports it as the command's end, with one line on stderr (Podman's
   * catatonit exits 1; Docker's docker-init, tini, exits 127).
   */
  @Test
  void aCommandThatCannotRunEndsWithTheInitsExitCodeAndItsMessageOnStderr() throws Exception {
    Run r = run(spec("/no/such/program"));
    assertThat(r.exitCode()).isEqualTo(backend.isPodman() ? 1 : 127);
    assertThat(r.output().stdout()).isEmpty();
    assertThat(r.output().stderr()).contains("No such file or directory");
    Observation o = backend.observe(r.ref().sessionId());
    assertThat(o.state()).isEqualTo(MachineState.EXITED);
    assertThat(o.exitCode()).isEqualTo(r.exitCode());
  }

  @Test
  void theCommandIsNotPid1SoAStopEndsAnUntrappedCommandAtOnce() throws Exception {
    assertThat(run(spec("sh", "-c", "echo $$")).output().stdout()).isNotEqualTo("1\n");
    MachineRef ref = backend.create(machine(spec("sleep", "300")));
    Collector c = new Collector();
    try (IoChannel io = backend.attach(ref, c)) {
      backend.start(ref);
      waitForState(ref, MachineState.RUNNING);
      long t0 = System.nanoTime();
      backend.stop(ref);
      c.awaitEnd();
      assertThat(backend.awaitExit(ref, WAIT)).isEqualTo(143);
      assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(3));
    }
  }

  @Test
  void theExitCodeFollowsTheEndOfTheOutputWithinASecond() throws Exception {
    List<Long> millis = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      MachineRef ref = backend.create(machine(spec("sh", "-c", "echo hi; exit 5")));
      Collector c = new Collector();
      try (IoChannel io = backend.attach(ref, c)) {
        backend.start(ref);
        c.awaitEnd();
      }
      long ended = System.nanoTime();
      assertThat(backend.awaitExit(ref, WAIT)).isEqualTo(5);
      millis.add(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - ended));
    }
    System.out.println("end of output -> exit code (ms): " + millis);
    assertThat(millis).allMatch(ms -> ms < 1000);
  }

  @Test
  void outputIsByteExactLiveAndOnReplayAfterExit() throws Exception {
    // 10 MiB of random bytes on stdout; the container's own sha256 of them on stderr.
    Run r =
        run(
            spec(
                "sh",
                "-c",
                "head -c 10485760 /dev/urandom > /tmp/f && cat /tmp/f && sha256sum /tmp/f >&2"));
    assertThat(r.exitCode()).isZero();
    String expected = r.output().stderr().split(" ")[0];
    assertThat(expected).hasSize(64);
    assertThat(r.output().out.size()).isEqualTo(10 * 1024 * 1024);
    assertThat(sha256(r.output().out.toByteArray())).isEqualTo(expected);

    Collector replay = new Collector();
    try (IoChannel io = backend.replay(r.ref(), replay)) {
      replay.awaitEnd();
      assertThat(io.stdinOpen()).isFalse();
    }
    assertThat(replay.out.size()).isEqualTo(10 * 1024 * 1024);
    assertThat(sha256(replay.out.toByteArray())).isEqualTo(expected);
    assertThat(replay.stderr()).isEqualTo(r.output().stderr());

    // attach() on a finished machine replays too, and leaves its exit code alone.
    Collector late = new Collector();
    try (IoChannel io = backend.attach(r.ref(), late)) {
      late.awaitEnd();
    }
    assertThat(sha256(late.out.toByteArray())).isEqualTo(expected);
    assertThat(backend.observe(r.ref().sessionId()).exitCode()).isZero();
    assertThat(backend.observe(r.ref().sessionId()).state()).isEqualTo(MachineState.EXITED);
  }

  @Test
  void replayOfARunningMachineFollowsItAndTakesStdin() throws Exception {
    MachineRef ref =
        backend.create(machine(spec("sh", "-c", "echo ready; read x; echo got:$x; echo bye >&2")));
    backend.start(ref);
    waitForState(ref, MachineState.RUNNING);
    Thread.sleep(200);
    Collector c = new Collector();
    try (IoChannel io = backend.replay(ref, c)) {
      assertThat(io.stdinOpen()).isTrue();
      io.writeStdin("abc\n".getBytes(StandardCharsets.UTF_8));
      c.awaitEnd();
    }
    assertThat(c.stdout()).isEqualTo("ready\ngot:abc\n");
    assertThat(c.stderr()).isEqualTo("bye\n");
    assertThat(backend.awaitExit(ref, WAIT)).isZero();
  }

  @Test
  void replayOfARunningMachineIsByteExactToItsExit() throws Exception {
    MachineRef ref =
        backend.create(
            machine(
                spec(
                    "sh",
                    "-c",
                    "echo ready; sleep 1; head -c 4194304 /dev/urandom > /tmp/f; cat /tmp/f;"
                        + " sha256sum /tmp/f >&2")));
    backend.start(ref);
    waitForState(ref, MachineState.RUNNING);
    Collector c = new Collector();
    try (IoChannel io = backend.replay(ref, c)) {
      c.awaitEnd();
    }
    assertThat(backend.awaitExit(ref, WAIT)).isZero();
    byte[] out = c.out.toByteArray();
    assertThat(new String(out, 0, 6, StandardCharsets.UTF_8)).isEqualTo("ready\n");
    assertThat(out).hasSize(6 + 4 * 1024 * 1024);
    assertThat(sha256(Arrays.copyOfRange(out, 6, out.length))).isEqualTo(c.stderr().split(" ")[0]);
  }

  @Test
  void stopSendsSigtermAndKillSigkill() throws Exception {
    MachineRef term =
        backend.create(
            machine(
                spec(
                    "sh", "-c", "trap 'echo term; exit 3' TERM; while true; do sleep 0.05; done")));
    MachineRef hard = backend.create(machine(spec("sleep", "300")));
    backend.start(term);
    backend.start(hard);
    waitForState(term, MachineState.RUNNING);
    waitForState(hard, MachineState.RUNNING);
    Thread.sleep(200);
    long t0 = System.nanoTime();
    backend.stop(term);
    backend.kill(hard);
    assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0))
        .as("stop and kill return without waiting")
        .isLessThan(5000);
    assertThat(backend.awaitExit(term, WAIT)).isEqualTo(3);
    assertThat(backend.awaitExit(hard, WAIT)).isEqualTo(137);
  }

  @Test
  void awaitExitTimesOut() throws Exception {
    MachineRef ref = backend.create(machine(spec("sleep", "30")));
    backend.start(ref);
    long t0 = System.nanoTime();
    assertThatThrownBy(() -> backend.awaitExit(ref, Duration.ofMillis(500)))
        .isInstanceOfSatisfying(
            MachineException.class,
            e -> assertThat(e.getMessage()).contains("did not exit within"));
    assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isBetween(400L, 5000L);
    backend.kill(ref);
  }

  @Test
  void listSeesTheLabels() {
    MachineSpec m = machine(spec("true"));
    MachineRef ref = backend.create(m);
    List<MachineSummary> mine =
        backend.list().stream().filter(x -> m.sessionId().equals(x.sessionId())).toList();
    assertThat(mine)
        .containsExactly(
            new MachineSummary(ref.machineId(), m.sessionId(), OWNER, MachineState.CREATED));
  }

  @Test
  void createTwiceAndDestroyTwiceAreIdempotent() throws Exception {
    SessionSpec s = spec("cat", "/app/a.txt");
    s.setFiles(List.of(new FileSpec("/app/a.txt", "once\n", null)));
    MachineSpec m = machine(s);
    MachineRef first = backend.create(m);
    MachineRef second = backend.create(m);
    assertThat(second).isEqualTo(first);
    assertThat(backend.observe(m.sessionId()).state()).isEqualTo(MachineState.CREATED);

    Collector c = new Collector();
    try (IoChannel io = backend.attach(second, c)) {
      backend.start(second);
      backend.start(second);
      c.awaitEnd();
    }
    assertThat(c.stdout()).isEqualTo("once\n");

    backend.destroy(m.sessionId());
    backend.destroy(m.sessionId());
    assertThat(backend.observe(m.sessionId())).isEqualTo(Observation.absent());
    backend.stop(first);
    backend.kill(first);
    assertThatThrownBy(() -> backend.start(first)).isInstanceOf(MachineException.class);
  }

  @Test
  void pingFailsClearlyWithoutARuntime() {
    DockerBackend none =
        new DockerBackend(
            new DockerClient(new DockerHost("unix:///nonexistent/podman.sock")),
            DockerOptions.defaults());
    assertThatThrownBy(none::ping)
        .isInstanceOfSatisfying(
            MachineException.class,
            e -> {
              assertThat(e.kind()).isEqualTo(MachineException.Kind.UNAVAILABLE);
              assertThat(e.getMessage())
                  .doesNotContain("\n")
                  .contains("unix:///nonexistent/podman.sock");
            });
    assertThat(backend.isPodman()).isTrue();
  }

  private static void waitForState(MachineRef ref, MachineState state) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (backend.observe(ref.sessionId()).state() != state) {
      assertThat(System.nanoTime()).as("reached " + state).isLessThan(deadline);
      Thread.sleep(20);
    }
  }

  private static String sha256(byte[] data) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
  }
}
