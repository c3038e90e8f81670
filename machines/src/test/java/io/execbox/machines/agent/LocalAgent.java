package io.execbox.machines.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

/**
 * execbox-agent run as a local process for the tests: the binary of {@link AgentBinary} written to
 * a temporary file, listening on a free loopback port, with a fresh random secret.
 */
final class LocalAgent implements AutoCloseable {
  private static Path binary;

  final Process process;
  final InetAddress address;
  final int port;
  final String secret;
  private final Path stderr;

  private LocalAgent(Process process, InetAddress address, int port, String secret, Path stderr) {
    this.process = process;
    this.address = address;
    this.port = port;
    this.secret = secret;
    this.stderr = stderr;
  }

  /** The binary, extracted once per test JVM. */
  static synchronized Path binary() {
    if (binary == null) {
      try {
        Path dir = Files.createTempDirectory("execbox-agent-it");
        Path b = dir.resolve("execbox-agent");
        Files.write(b, AgentBinary.bytes());
        Files.setPosixFilePermissions(b, PosixFilePermissions.fromString("rwx------"));
        b.toFile().deleteOnExit();
        dir.toFile().deleteOnExit();
        binary = b;
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return binary;
  }

  static String randomSecret() {
    byte[] b = new byte[24];
    new SecureRandom().nextBytes(b);
    return HexFormat.of().formatHex(b);
  }

  /**
   * Starts the agent on {@code host} (as --listen writes it: {@code 127.0.0.1}, {@code [::1]}) with
   * {@code options} and the command, and waits until it listens; clients connect to {@code
   * address}. {@code launcher} turns the agent's arguments into the command line that runs it (the
   * binary itself, or a container runtime that runs it).
   */
  static LocalAgent start(
      UnaryOperator<List<String>> launcher,
      String host,
      InetAddress address,
      List<String> options,
      String... command) {
    for (int attempt = 0; ; attempt++) {
      int port = freePort(address);
      String secret = randomSecret();
      List<String> args = new ArrayList<>(List.of("--listen", host + ":" + port));
      args.addAll(options);
      args.add("--");
      args.addAll(List.of(command));
      try {
        Path stderr = Files.createTempFile("execbox-agent-stderr", ".txt");
        stderr.toFile().deleteOnExit();
        ProcessBuilder pb =
            new ProcessBuilder(launcher.apply(args))
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(stderr.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment().put("EXECBOX_AGENT_SECRET", secret);
        pb.environment().put("EXECBOX_AGENT_EXTRA", "not for the command");
        LocalAgent agent = new LocalAgent(pb.start(), address, port, secret, stderr);
        if (agent.awaitListening()) {
          return agent;
        }
        // someone else took the port between our look and the agent's bind: another port
        assertThat(agent.stderr()).contains("cannot listen");
        assertThat(attempt).as("attempts to find a free port").isLessThan(5);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  /** Starts the agent binary on {@code host} with {@code options} and the command. */
  static LocalAgent start(
      String host, InetAddress address, List<String> options, String... command) {
    return start(LocalAgent::direct, host, address, options, command);
  }

  /** Starts the agent binary on 127.0.0.1 with {@code options} and the command. */
  static LocalAgent start(List<String> options, String... command) {
    return start("127.0.0.1", InetAddress.getLoopbackAddress(), options, command);
  }

  private static List<String> direct(List<String> args) {
    List<String> line = new ArrayList<>(List.of(binary().toString()));
    line.addAll(args);
    return line;
  }

  static LocalAgent start(String... command) {
    return start(List.of(), command);
  }

  private static int freePort(InetAddress address) {
    try (ServerSocket s = new ServerSocket(0, 1, address)) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** True once a connection is accepted; false if the agent exited first. */
  private boolean awaitListening() throws IOException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        return false;
      }
      try (Socket probe = new Socket()) {
        probe.connect(new InetSocketAddress(address, port), 1000);
        return true;
      } catch (IOException notYet) {
        sleep(Duration.ofMillis(10));
      }
    }
    throw new IOException("the agent did not listen on port " + port + " in 60 s");
  }

  /** A connection that has sent HELLO with the right secret and read the WELCOME. */
  AgentTestClient connect() throws IOException {
    AgentTestClient c = AgentTestClient.open(address, port);
    c.hello(secret);
    c.welcome();
    return c;
  }

  /** A connection that has sent nothing yet. */
  AgentTestClient open() throws IOException {
    return AgentTestClient.open(address, port);
  }

  /** The agent's exit code; fails if it does not exit within {@code d}. */
  int exitCode(Duration d) throws InterruptedException {
    assertThat(process.waitFor(d.toMillis(), TimeUnit.MILLISECONDS))
        .as("the agent exited within %s", d)
        .isTrue();
    return process.exitValue();
  }

  /** What the agent itself wrote on its stderr. */
  String stderr() {
    try {
      return Files.readString(stderr, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static void sleep(Duration d) {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(10, TimeUnit.SECONDS);
  }
}
