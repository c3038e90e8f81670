package io.execbox.machines.kubernetes;

import static io.execbox.machines.kubernetes.KubernetesBackendIT.WAIT;
import static io.execbox.machines.kubernetes.KubernetesBackendIT.machine;
import static io.execbox.machines.kubernetes.KubernetesBackendIT.spec;
import static org.assertj.core.api.Assertions.assertThat;

import io.execbox.machines.Collector;
import io.execbox.machines.IoChannel;
import io.execbox.machines.MachineRef;
import io.execbox.machines.MachineSpec;
import io.execbox.machines.MachineState;
import io.execbox.machines.Observation;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The path without the in-machine agent ({@code EXECBOX_KUBERNETES_AGENT=false}): the stdio gate
 * holds the command until the Pod's attach is connected, and what the attach cannot carry (output
 * after stdin-close, an attach the runtime leaves open, a replay) comes from the Pod's log, checked
 * to begin with what was delivered.
 */
class KubernetesGateIT {
  static KubernetesClient client;
  static KubernetesBackend backend;
  static String namespace;
  static final Map<String, IoChannel> channels = new ConcurrentHashMap<>();

  @BeforeAll
  static void connect() {
    TestCluster.assumePodsRun();
    client = TestCluster.client();
    namespace = TestCluster.freshNamespace(client, "execbox-gate-it");
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

  static Observation awaitState(String sessionId, MachineState state) throws InterruptedException {
    return KubernetesBackendIT.awaitState(backend, sessionId, state, WAIT);
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

  static void awaitStdout(Collector out, String expected) throws InterruptedException {
    long until = System.nanoTime() + WAIT.toNanos();
    while (!out.stdout().equals(expected) && System.nanoTime() < until) {
      Thread.sleep(20);
    }
    assertThat(out.stdout()).as("live over the attach").isEqualTo(expected);
  }

  @Test
  void theGateHoldsTheCommandAndAMissingCommandIsBrokenWithAReason() throws Exception {
    Collector out = new Collector();
    MachineSpec bad = machine(spec("/no/such/binary"));
    startAttached(bad, out);
    Observation notFound = awaitState(bad.sessionId(), MachineState.BROKEN);
    assertThat(notFound.reason()).isEqualTo("command not found: /no/such/binary");
  }

  @Test
  void anAttachTheRuntimeLeavesOpenAfterTheExitIsCutAndTheRestComesFromTheLog() throws Exception {
    // a runtime that stops delivering the attach's output after "one\n" and never closes it: the
    // channel must not hang; once the linger has passed it reads what it missed from the log
    backend.io().linger(Duration.ofMillis(500));
    try {
      MachineSpec m =
          machine(spec("sh", "-c", "echo one; sleep 1; echo two; echo three >&2; exit 4"));
      MachineRef ref = backend.create(m);
      awaitState(m.sessionId(), MachineState.CREATED);
      Collector out = new Collector();
      java.util.concurrent.atomic.AtomicBoolean stuck =
          new java.util.concurrent.atomic.AtomicBoolean();
      backend
          .io()
          .attachGated(
              ref,
              out,
              new PodIo.Wiring() {
                @Override
                public io.fabric8.kubernetes.client.dsl.ExecListener listener(
                    io.fabric8.kubernetes.client.dsl.ExecListener channel) {
                  return new io.fabric8.kubernetes.client.dsl.ExecListener() {
                    @Override
                    public void onOpen() {
                      channel.onOpen();
                    }

                    @Override
                    public void onClose(int code, String reason) {
                      // lost: the runtime never tells the channel its attach ended
                    }
                  };
                }

                @Override
                public java.io.OutputStream output(java.io.OutputStream channel) {
                  return new java.io.OutputStream() {
                    @Override
                    public void write(int b) throws java.io.IOException {
                      write(new byte[] {(byte) b}, 0, 1);
                    }

                    @Override
                    public void write(byte[] b, int off, int len) throws java.io.IOException {
                      if (!stuck.get()) {
                        channel.write(b, off, len);
                        stuck.set(new String(b, off, len, StandardCharsets.UTF_8).contains("one"));
                      }
                    }
                  };
                }
              });
      backend.start(ref);
      assertThat(out.ended.await(30, TimeUnit.SECONDS))
          .as("the output ended although the attach never closed")
          .isTrue();
      assertThat(out.error).isNull();
      // what the attach delivered, then the log's rest (stdout and stderr merged, in log order)
      assertThat(out.stdout()).startsWith("one\n").contains("two\n", "three\n").hasSize(14);
      assertThat(out.ends.get()).isEqualTo(1);
      assertThat(backend.awaitExit(ref, WAIT)).isEqualTo(4);
    } finally {
      backend.io().linger(Duration.ofSeconds(5));
    }
  }

  @Test
  void stdinReachesTheCommandAndClosingItEndsItsInputAndLaterOutputComesFromTheLog()
      throws Exception {
    Collector out = new Collector();
    MachineSpec m = machine(spec("sh", "-c", "cat; echo bye; echo bye2 >&2; exit 5"));
    MachineRef ref = startAttached(m, out);
    IoChannel channel = channels.get(m.sessionId());
    channel.writeStdin("line1\nline2\n".getBytes(StandardCharsets.UTF_8));
    awaitStdout(out, "line1\nline2\n");
    channel.closeStdin();
    assertThat(channel.stdinOpen()).isFalse();
    out.awaitEnd();
    // after the close, the log is the only witness: stdout and stderr merged, in log order
    assertThat(out.stdout()).startsWith("line1\nline2\n").contains("bye\n", "bye2\n");
    assertThat(out.stdout()).hasSize("line1\nline2\nbye\nbye2\n".length());
    assertThat(out.stderr()).isEmpty();
    assertThat(backend.awaitExit(ref, WAIT)).isEqualTo(5);
  }

  @Test
  void outputPastTheKubeletsLogRotationEndsWithAnErrorNeverWithWrongBytes() throws Exception {
    // After stdin-close the rest comes from the Pod's log. The kubelet rotates a container's log
    // past containerLogMaxSize (10 MiB by default, as here) at its next check, every 10 s, and the
    // log subresource then serves only the new file: it no longer begins with what was delivered.
    Collector out = new Collector();
    MachineSpec m =
        machine(
            spec(
                "sh",
                "-c",
                "read l; echo got:$l; sleep 1; head -c 11534336 /dev/zero | tr '\\0' x;"
                    + " sleep 15; echo end"));
    startAttached(m, out);
    IoChannel channel = channels.get(m.sessionId());
    channel.writeStdin("go\n".getBytes(StandardCharsets.UTF_8));
    awaitStdout(out, "got:go\n");
    channel.closeStdin();
    assertThat(out.ended.await(90, TimeUnit.SECONDS)).isTrue();
    assertThat(out.error)
        .as("the stream ends with an error")
        .hasMessageContaining("could not be read back from the log");
    assertThat(out.stdout()).as("nothing from the rotated log").isEqualTo("got:go\n");
    backend.destroy(m.sessionId());
  }

  @Test
  void replayFollowsTheLogFromTheFirstByte() throws Exception {
    Collector live = new Collector();
    MachineRef ref =
        startAttached(machine(spec("sh", "-c", "echo one; echo two >&2; echo three")), live);
    live.awaitEnd();
    Collector replay = new Collector();
    backend.replay(ref, replay);
    replay.awaitEnd();
    assertThat(replay.stdout()).as("merged onto stdout").contains("one\n", "two\n", "three\n");
    assertThat(replay.stdout()).hasSize("one\ntwo\nthree\n".length());
  }
}
