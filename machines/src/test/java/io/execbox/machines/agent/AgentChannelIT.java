package io.execbox.machines.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.execbox.machines.OutputSink;
import io.execbox.machines.StreamKind;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The control plane's side of the agent protocol ({@link AgentChannel}) against the real agent
 * binary, run here as a local process on loopback: the same client the Kubernetes and Fly backends
 * use, with connections that break in the middle of the output.
 */
class AgentChannelIT {
  private static final byte[] SECRET = "a-secret-of-the-test-0123456789".getBytes();

  static ExecutorService executor;
  static ScheduledExecutorService timers;

  @TempDir static Path dir;
  static Path binary;

  private Process agent;
  private AgentChannel channel;

  @BeforeAll
  static void setUp() throws IOException {
    executor = Executors.newCachedThreadPool();
    timers = Executors.newSingleThreadScheduledExecutor();
    binary = dir.resolve("execbox-agent");
    Files.write(binary, AgentBinary.bytes());
    Files.setPosixFilePermissions(binary, PosixFilePermissions.fromString("rwxr-xr-x"));
  }

  @AfterAll
  static void tearDown() {
    executor.shutdownNow();
    timers.shutdownNow();
  }

  @AfterEach
  void stop() {
    if (channel != null) {
      channel.close();
    }
    if (agent != null) {
      agent.destroyForcibly();
    }
  }

  /** Everything a sink got. */
  static final class Collected implements OutputSink {
    final ByteArrayOutputStream all = new ByteArrayOutputStream();
    final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    final ByteArrayOutputStream stderr = new ByteArrayOutputStream();
    final List<StreamKind> kinds = new ArrayList<>();
    final AtomicLong skipped = new AtomicLong();
    final CompletableFuture<Throwable> ended = new CompletableFuture<>();
    volatile Integer exitAtEnd;

    @Override
    public synchronized void onOutput(StreamKind kind, byte[] data) {
      all.writeBytes(data);
      (kind == StreamKind.STDERR ? stderr : stdout).writeBytes(data);
      if (kinds.isEmpty() || kinds.get(kinds.size() - 1) != kind) {
        kinds.add(kind);
      }
    }

    @Override
    public void onSkipped(long bytes) {
      skipped.addAndGet(bytes);
    }

    @Override
    public void onEnd(Throwable error) {
      ended.complete(error);
    }
  }

  private int start(String... command) throws IOException {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    List<String> argv =
        new ArrayList<>(List.of(binary.toString(), "--listen", "127.0.0.1:" + port));
    argv.add("--");
    argv.addAll(List.of(command));
    ProcessBuilder pb = new ProcessBuilder(argv).redirectErrorStream(true);
    pb.environment().put("EXECBOX_AGENT_SECRET", new String(SECRET, StandardCharsets.US_ASCII));
    pb.redirectOutput(dir.resolve("agent-" + port + ".log").toFile());
    agent = pb.start();
    return port;
  }

  private AgentChannel open(int port, Collected sink, AgentTransport.Dialer dialer, int[] code)
      throws IOException {
    channel =
        new AgentChannel(
            "sess_test",
            dialer,
            SECRET,
            sink,
            executor,
            timers,
            () -> agent.isAlive(),
            c -> {
              code[0] = c.code();
              sink.exitAtEnd = c.code();
            },
            Duration.ofSeconds(30));
    return channel.connect(Duration.ofSeconds(10));
  }

  private static AgentTransport.Dialer tcp(int port) {
    return () -> AgentTransport.tcp(new InetSocketAddress("127.0.0.1", port), 2000);
  }

  /**
   * A dialer whose connections break after a random 0.5 to 3 MB each, as a port-forward through a
   * restarting apiserver or a network blip would: each reconnect must resume exactly where the last
   * byte was delivered.
   */
  private static AgentTransport.Dialer breaking(int port, AtomicInteger connections) {
    Random random = new Random(42);
    return () -> {
      AgentTransport t = AgentTransport.tcp(new InetSocketAddress("127.0.0.1", port), 2000);
      connections.incrementAndGet();
      long limit = 500_000 + random.nextInt(2_500_000);
      InputStream in =
          new FilterInputStream(t.input()) {
            long read;

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
              if (read >= limit) {
                t.close();
                throw new IOException("cut after " + read + " bytes");
              }
              int n = super.read(b, off, (int) Math.min(len, limit - read));
              if (n > 0) {
                read += n;
              }
              return n;
            }
          };
      return AgentTransport.of(in, t.output(), t);
    };
  }

  private static String sha256(byte[] b) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
  }

  private static byte[] seq(int n) {
    StringBuilder sb = new StringBuilder();
    for (int i = 1; i <= n; i++) {
      sb.append(i).append('\n');
    }
    return sb.toString().getBytes(StandardCharsets.US_ASCII);
  }

  @Test
  void everyByteArrivesExactlyOnceThroughConnectionsThatKeepBreaking() throws Exception {
    int port = start("seq", "1", "3000000");
    Collected sink = new Collected();
    AtomicInteger connections = new AtomicInteger();
    int[] code = {-1};
    open(port, sink, breaking(port, connections), code);
    assertThat(sink.ended.get(60, TimeUnit.SECONDS)).isNull();
    assertThat(sha256(sink.all.toByteArray())).isEqualTo(sha256(seq(3000000)));
    assertThat(sink.skipped.get()).isZero();
    assertThat(code[0]).isZero();
    assertThat(connections.get()).as("connections it took").isGreaterThan(3);
    assertThat(agent.waitFor(10, TimeUnit.SECONDS))
        .as("the agent exits once acknowledged")
        .isTrue();
    assertThat(agent.exitValue()).isZero();
  }

  @Test
  void stdinArrivesExactlyOnceThroughConnectionsThatKeepBreaking() throws Exception {
    // cat echoes it: its output breaks the connections while stdin is in flight on them
    int port = start("sh", "-c", "cat; echo after >&2");
    Collected sink = new Collected();
    AtomicInteger connections = new AtomicInteger();
    int[] code = {-1};
    AgentChannel c = open(port, sink, breaking(port, connections), code);
    byte[] input = new byte[12 << 20];
    new Random(11).nextBytes(input);
    for (int at = 0; at < input.length; at += 100_000) {
      c.writeStdin(Arrays.copyOfRange(input, at, Math.min(input.length, at + 100_000)));
    }
    c.closeStdin();
    assertThat(sink.ended.get(60, TimeUnit.SECONDS)).isNull();
    assertThat(sink.stdout.size()).as("stdin bytes echoed").isEqualTo(input.length);
    assertThat(sha256(sink.stdout.toByteArray())).isEqualTo(sha256(input));
    assertThat(sink.stderr.toString(StandardCharsets.US_ASCII)).isEqualTo("after\n");
    assertThat(code[0]).isZero();
    assertThat(connections.get()).as("connections it took").isGreaterThan(3);
  }

  @Test
  void stdinWithARealEndOfFileAndStderrStaysStderrAfterIt() throws Exception {
    int port = start("sh", "-c", "cat; echo after >&2; exit 4");
    Collected sink = new Collected();
    int[] code = {-1};
    AgentChannel c = open(port, sink, tcp(port), code);
    byte[] input = new byte[3 << 20];
    new Random(7).nextBytes(input);
    c.writeStdin(input);
    c.closeStdin();
    assertThat(c.stdinOpen()).isFalse();
    assertThat(sink.ended.get(30, TimeUnit.SECONDS)).isNull();
    assertThat(sha256(sink.stdout.toByteArray())).isEqualTo(sha256(input));
    assertThat(sink.stderr.toString(StandardCharsets.US_ASCII)).isEqualTo("after\n");
    assertThat(sink.kinds).containsExactly(StreamKind.STDOUT, StreamKind.STDERR);
    assertThat(code[0]).isEqualTo(4);
    assertThat(sink.exitAtEnd).as("the exit is known before the output's end").isEqualTo(4);
  }

  @Test
  void aSigtermEndsAnUntrappedCommandWith143AndATrapKeepsItsOutputAndCode() throws Exception {
    int port = start("sleep", "300");
    Collected sink = new Collected();
    int[] code = {-1};
    AgentChannel c = open(port, sink, tcp(port), code);
    long t0 = System.nanoTime();
    assertThat(c.signal(15)).isTrue();
    assertThat(sink.ended.get(10, TimeUnit.SECONDS)).isNull();
    assertThat(code[0]).isEqualTo(143);
    assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(2));
    agent.waitFor(10, TimeUnit.SECONDS);

    int port2 = start("sh", "-c", "trap 'echo bye; exit 7' TERM; echo ready; sleep 300 & wait");
    Collected sink2 = new Collected();
    int[] code2 = {-1};
    channel = null;
    AgentChannel c2 = open(port2, sink2, tcp(port2), code2);
    for (int i = 0; i < 100 && sink2.stdout.size() == 0; i++) {
      Thread.sleep(50);
    }
    assertThat(c2.signal(15)).isTrue();
    assertThat(sink2.ended.get(10, TimeUnit.SECONDS)).isNull();
    assertThat(sink2.stdout.toString(StandardCharsets.US_ASCII)).isEqualTo("ready\nbye\n");
    assertThat(code2[0]).isEqualTo(7);
  }

  @Test
  void aWrongSecretIsRefused() throws Exception {
    int port = start("sleep", "300");
    Collected sink = new Collected();
    AgentChannel wrong =
        new AgentChannel(
            "sess_test",
            tcp(port),
            "not-the-secret-0123456789".getBytes(),
            sink,
            executor,
            timers,
            () -> false,
            c -> {},
            Duration.ZERO);
    try {
      wrong.connect(Duration.ofSeconds(5));
      throw new AssertionError("connected with a wrong secret");
    } catch (IOException expected) {
      assertThat(expected.getMessage()).contains("agent");
    }
  }
}
