package io.execbox.machines.kubernetes;

import static io.execbox.machines.kubernetes.KubernetesBackendIT.awaitState;
import static io.execbox.machines.kubernetes.KubernetesBackendIT.machine;
import static io.execbox.machines.kubernetes.KubernetesBackendIT.spec;
import static org.assertj.core.api.Assertions.assertThat;

import io.execbox.machines.Collector;
import io.execbox.machines.IoChannel;
import io.execbox.machines.MachineRef;
import io.execbox.machines.MachineSpec;
import io.execbox.machines.MachineState;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 13: large output through the stdio gate's attach (and through the log follow of an image's
 * default command) arrives whole, byte for byte, every time — or the stream ends with an error; it
 * never ends normally with bytes missing that execbox could have seen missing. Each case runs many
 * times, a few at once, because the loss was intermittent (4 of 7 runs of {@code seq 1 700000}
 * arrived short by 70–100 KiB).
 *
 * <p>Most of that loss is the runtime's: containerd before 1.6.22 and 1.7.3 (the test node has
 * Debian 12's 1.6.20) closes the container's output FIFO at the exit before it has read it to the
 * end, so the attach and the log lack the same tail. Such runs are counted apart, recognized by the
 * Pod's own log being exactly as short, and fail the test only with {@code
 * -Dexecbox.truncation.strict=true}. {@code -Dexecbox.truncation.runs=N} sets the runs of the main
 * case (default 6, the others a third of it; 20 to reproduce the measurements in the README).
 */
class KubernetesGateTruncationIT {
  static final Duration WAIT = Duration.ofSeconds(60);
  static final int RUNS = Integer.getInteger("execbox.truncation.runs", 6);

  /** Runs of the smaller cases: a third of {@link #RUNS}, at least 2. */
  static final int FEWER = Math.max(2, RUNS / 3);

  static final int AT_ONCE = 4;
  static final boolean STRICT = Boolean.getBoolean("execbox.truncation.strict");
  static KubernetesClient client;
  static KubernetesBackend backend;
  static String namespace;
  static ExecutorService pool;

  @BeforeAll
  static void connect() {
    TestCluster.assumePodsRun();
    client = TestCluster.client();
    namespace = TestCluster.freshNamespace(client, "execbox-trunc");
    backend =
        new KubernetesBackend(
                client,
                new PodOptions(
                    namespace,
                    "IfNotPresent",
                    "inst_gate_it",
                    true,
                    PodOptions.DEFAULT_CPU_REQUEST_PERCENT,
                    null,
                    false),
                Duration.ofSeconds(2),
                KubernetesAgentIT.KEY)
            .start();
    pool = Executors.newFixedThreadPool(AT_ONCE);
  }

  @AfterAll
  static void cleanUp() {
    if (pool != null) {
      pool.shutdownNow();
    }
    if (backend != null) {
      backend.close();
    }
    if (client != null) {
      TestCluster.deleteNamespace(client, namespace);
      client.close();
    }
  }

  @Test
  void aGatedCommandsSevenHundredThousandLinesArriveWholeEveryTime() throws Exception {
    assertAllWhole(RUNS, 700_000, this::gated); // 4,788,895 bytes
  }

  @Test
  void aGatedCommandsOneMegabyteArrivesWholeEveryTime() throws Exception {
    assertAllWhole(FEWER, 158_730, this::gated); // 1,000,000 bytes
  }

  @Test
  void aGatedCommandsTwoMegabytesArriveWholeEveryTime() throws Exception {
    assertAllWhole(FEWER, 300_000, this::gated); // 1,988,895 bytes
  }

  @Test
  void anImagesDefaultCommandsOutputFollowedFromTheLogArrivesWholeEveryTime() throws Exception {
    assertAllWhole(FEWER, 700_000, this::followed);
  }

  /**
   * One session run to its end: what arrived, how it ended, and the Pod's log as read after the end
   * (the runtime's own record of the output, to tell a loss of the runtime's from one of
   * execbox's).
   */
  record Run(String sessionId, Collector out, int exitCode, byte[] podLog, String containerId) {}

  interface Runner {
    Run run(int lines) throws Exception;
  }

  /** A session with a command: created, attached before its gate is released, started. */
  Run gated(int lines) throws Exception {
    MachineSpec m = machine(spec("sh", "-c", "sleep 1; seq 1 " + lines));
    MachineRef ref = backend.create(m);
    awaitState(backend, m.sessionId(), MachineState.CREATED, WAIT);
    Collector out = new Collector();
    backend.attach(ref, out);
    backend.start(ref);
    return finish(m, ref, out);
  }

  /** Busybox's default command, {@code sh}, reading its script on stdin: output from the log. */
  Run followed(int lines) throws Exception {
    MachineSpec m = machine(spec());
    MachineRef ref = backend.create(m);
    awaitState(backend, m.sessionId(), MachineState.CREATED, WAIT);
    Collector out = new Collector();
    IoChannel io = backend.attach(ref, out);
    backend.start(ref);
    io.writeStdin(("sleep 1; seq 1 " + lines + "\n").getBytes(StandardCharsets.UTF_8));
    io.closeStdin();
    return finish(m, ref, out);
  }

  private static Run finish(MachineSpec m, MachineRef ref, Collector out) throws Exception {
    assertThat(out.ended.await(3, TimeUnit.MINUTES)).as("output of " + m.sessionId()).isTrue();
    int exit = backend.awaitExit(ref, WAIT);
    var pod = client.pods().inNamespace(namespace).withName(ref.name());
    byte[] podLog;
    try (var in = pod.getLogInputStream()) {
      podLog = in.readAllBytes();
    }
    String containerId = pod.get().getStatus().getContainerStatuses().get(0).getContainerID();
    backend.destroy(m.sessionId());
    return new Run(m.sessionId(), out, exit, podLog, containerId);
  }

  /**
   * Runs {@code runs} sessions printing {@code seq 1 lines}, {@link #AT_ONCE} at a time, and checks
   * that each either delivered exactly that output (sha256) and ended without error, or ended with
   * an error saying that its output may be incomplete (having delivered a prefix of it, never wrong
   * bytes). Never silently short: but a run whose bytes the runtime itself lost, so that the Pod's
   * own log ends exactly where the delivered output does, is counted apart and allowed unless
   * {@code -Dexecbox.truncation.strict=true} (containerd before 1.6.22 and 1.7.3 closes a
   * container's output pipe at its exit before it has read the rest: neither the attach nor the log
   * has those bytes, and nothing shows they are missing).
   */
  private void assertAllWhole(int runs, int lines, Runner runner) throws Exception {
    byte[] expected = seq(lines);
    String want = sha256(expected);
    List<Future<Run>> futures = new ArrayList<>();
    for (int i = 0; i < runs; i++) {
      futures.add(pool.submit(() -> runner.run(lines)));
    }
    List<String> report = new ArrayList<>();
    int exact = 0;
    int errors = 0;
    int lostByTheRuntime = 0;
    int wrong = 0;
    for (Future<Run> f : futures) {
      Run r = f.get(10, TimeUnit.MINUTES);
      byte[] got;
      synchronized (r.out()) {
        got = r.out().out.toByteArray();
      }
      Throwable error = r.out().error;
      boolean same = want.equals(sha256(got)) && r.out().err.size() == 0;
      boolean prefix = Arrays.mismatch(got, expected) == got.length && r.out().err.size() == 0;
      String verdict;
      if (same && error == null) {
        exact++;
        verdict = "exact";
      } else if (error != null && (same || prefix)) {
        errors++;
        verdict = "ended with an error";
      } else if (error == null && prefix && Arrays.equals(r.podLog(), got)) {
        lostByTheRuntime++;
        verdict = "SHORT, and so is the Pod's own log: lost by the runtime";
      } else {
        wrong++;
        verdict = "WRONG";
      }
      report.add(
          String.format(
              "%s (%s): %s: %d of %d bytes, first difference at %d, Pod's log %d bytes, stderr %d,"
                  + " exit %d, error %s",
              r.sessionId(),
              r.containerId(),
              verdict,
              got.length,
              expected.length,
              Arrays.mismatch(got, expected),
              r.podLog().length,
              r.out().err.size(),
              r.exitCode(),
              error));
    }
    String summary =
        String.format(
            "seq 1 %d, %d runs: %d exact, %d ended with an error, %d lost by the runtime, %d wrong%n%s",
            lines, runs, exact, errors, lostByTheRuntime, wrong, String.join("\n", report));
    System.out.println(summary);
    assertThat(wrong)
        .as("runs that ended normally with output that is not the command's\n" + summary)
        .isZero();
    if (STRICT) {
      assertThat(lostByTheRuntime).as("runs the runtime cut short\n" + summary).isZero();
    }
    assertThat(exact + errors + lostByTheRuntime).isEqualTo(runs);
  }

  static byte[] seq(int lines) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    for (int i = 1; i <= lines; i++) {
      b.writeBytes((i + "\n").getBytes(StandardCharsets.US_ASCII));
    }
    return b.toByteArray();
  }

  static String sha256(byte[] data) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
  }
}
