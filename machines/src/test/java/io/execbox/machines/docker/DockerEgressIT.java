package io.execbox.machines.docker;

import static io.execbox.machines.docker.DockerRuns.shell;
import static org.assertj.core.api.Assertions.assertThat;

import io.execbox.crds.NetworkMode;
import io.execbox.crds.PortSpec;
import io.execbox.crds.SessionSpec;
import io.execbox.machines.MachineState;
import io.execbox.machines.Observation;
import io.execbox.machines.PublishedPort;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;

/**
 * The host's packet filter in front of the network of {@code outgoing} and {@code exposed}
 * sessions, on the real Podman of DOCKER_HOST and this host's nftables (root needed). Nothing is
 * sent off this machine: the only addresses a session tries are the bridge's own gateway (a
 * listener of this test) and its DNS server there, which answers names of the network itself.
 */
@EnabledIfEnvironmentVariable(
    named = "DOCKER_HOST",
    matches = ".*\\S.*",
    disabledReason = "DOCKER_HOST is unset: set it to a Podman socket to run DockerEgressIT")
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class DockerEgressIT {
  static final String NETWORK = "execbox-egress-it";

  static DockerClient client;
  static DockerBackend open;
  static DockerBackend filtered;
  static DockerRuns runs;

  @BeforeAll
  static void connect() {
    client = new DockerClient(DockerHost.resolve(System.getenv("DOCKER_HOST")));
    DockerOptions o = DockerOptions.defaults();
    open = new DockerBackend(client, o.withNetwork(new DockerOptions.Network(NETWORK, false)));
    filtered = new DockerBackend(client, o.withNetwork(new DockerOptions.Network(NETWORK, true)));
    open.ping();
    runs = new DockerRuns(client);
  }

  @AfterEach
  void destroy() {
    runs.destroyAll(open);
  }

  @AfterAll
  static void removeTheNetworkAndItsFilter() {
    new EgressFilter().remove(NETWORK);
    client.delete(DockerClient.API + "/networks/" + NETWORK);
  }

  /** The network's bridge, up while a session of the test keeps it. */
  static ManagedNetwork.Bridge keepTheBridgeUp() {
    runs.start(open, shell(NetworkMode.OUTGOING, "sleep 120"));
    return new ManagedNetwork(client).ensure(NETWORK, open.isPodman());
  }

  @Test
  void aListenerOnTheHostsBridgeAddressIsReachedWithoutTheFilterAndNotWithIt() throws Exception {
    new EgressFilter().remove(NETWORK);
    open.prepare();
    ManagedNetwork.Bridge bridge = keepTheBridgeUp();
    String gateway = bridge.gateways().get(0);
    AtomicInteger accepted = new AtomicInteger();
    try (ServerSocket listener = new ServerSocket(0, 50, InetAddress.getByName(gateway))) {
      Thread t =
          new Thread(
              () -> {
                while (!listener.isClosed()) {
                  try (Socket s = listener.accept();
                      OutputStream out = s.getOutputStream()) {
                    accepted.incrementAndGet();
                    out.write("HELLO\n".getBytes(StandardCharsets.US_ASCII));
                  } catch (Exception e) {
                    return;
                  }
                }
              });
      t.setDaemon(true);
      t.start();
      String probe =
          "nc -w 3 " + gateway + " " + listener.getLocalPort() + " </dev/null; echo rc=$?";

      DockerRuns.Run before = runs.run(open, shell(NetworkMode.OUTGOING, probe));
      assertThat(before.stdout()).as("without the filter").contains("HELLO").contains("rc=0");
      assertThat(accepted.get()).isEqualTo(1);

      filtered.prepare();
      for (NetworkMode mode : List.of(NetworkMode.OUTGOING, NetworkMode.EXPOSED)) {
        DockerRuns.Run after = runs.run(filtered, shell(mode, probe));
        assertThat(after.stdout()).as("%s with the filter", mode).doesNotContain("HELLO");
        assertThat(after.stdout()).contains("rc=1");
        assertThat(after.stderr()).contains("No route to host");
      }
      assertThat(accepted.get()).as("connections that reached the listener").isEqualTo(1);
    }
  }

  @Test
  void eachRangeAndTheHostsOwnAddressesAreRejectedInTheHostsPacketFilter() throws Exception {
    filtered.prepare();
    ManagedNetwork.Bridge bridge = new ManagedNetwork(client).ensure(NETWORK, open.isPodman());
    // read back with nft itself, not through the code under test
    String listing = nft("list", "table", "inet", "execbox_egress_execbox_egress_it");
    List<String> lines = listing.lines().map(String::strip).toList();
    String in = "iifname \"" + bridge.iface() + "\" ";
    for (String range :
        List.of(
            "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16", "100.64.0.0/10")) {
      assertThat(lines).contains(in + "ip daddr " + range + " reject with icmpx admin-prohibited");
    }
    // everything from the bridge to the host itself, but DNS on the gateway and answers
    assertThat(lines)
        .containsSubsequence(
            "type filter hook input priority filter - 10; policy accept;",
            in + "ct state established,related accept",
            in + "ip daddr " + bridge.gateways().get(0) + " udp dport 53 accept",
            in + "reject with icmpx admin-prohibited");
    System.out.println("egress filter of " + NETWORK + ":\n" + listing);
  }

  @Test
  void aFilterSomeoneRemovedIsPutBackBeforeTheNextNetworkedSession() throws Exception {
    filtered.prepare();
    nft("delete", "table", "inet", "execbox_egress_execbox_egress_it");
    DockerRuns.Run r = runs.run(filtered, shell(NetworkMode.OUTGOING, "true"));
    assertThat(r.exitCode()).isZero();
    assertThat(nft("list", "table", "inet", "execbox_egress_execbox_egress_it"))
        .contains("ip daddr 169.254.0.0/16 reject");
  }

  @Test
  void publishedPortsStillAnswerTheHostAndTheNetworksDnsStillAnswersSessions() throws Exception {
    filtered.prepare();
    SessionSpec server = shell(NetworkMode.EXPOSED, "nc -ll -p 8080 -e /bin/echo PUBLISHED");
    server.setPorts(List.of(new PortSpec(8080, "tcp")));
    var ref = runs.start(filtered, server);
    Observation o = filtered.observe(ref.sessionId());
    assertThat(o.state()).isEqualTo(MachineState.RUNNING);
    PublishedPort p = o.ports().get(0);
    String answer = "";
    for (int i = 0; i < 50 && !answer.contains("PUBLISHED"); i++) {
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress(p.host(), p.hostPort()), 2000);
        s.setSoTimeout(3000);
        try (InputStream in = s.getInputStream()) {
          answer = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
      } catch (java.io.IOException e) {
        Thread.sleep(100); // the listener in the container is not up yet
      }
    }
    assertThat(answer).as("from the published port %s", p).contains("PUBLISHED");

    // the network's DNS server, on the gateway, names the sessions on it; nothing leaves the host
    DockerRuns.Run r =
        runs.run(filtered, shell(NetworkMode.OUTGOING, "nslookup " + ref.name() + "; echo rc=$?"));
    assertThat(r.stdout()).contains("rc=0").contains("Name:");
  }

  static String nft(String... args) throws Exception {
    List<String> command = new java.util.ArrayList<>(List.of("nft"));
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as("nft %s: %s", List.of(args), out).isZero();
    return out;
  }
}
