package io.execbox.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.execbox.machines.kubernetes.TestCluster;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A stream of 100 MB through the in-machine agent, with the operator restarted in the middle of it,
 * as the Helm chart deploys execbox (an api replica and an operator process): the client, attached
 * to the api all along, gets every byte exactly once and the exit code. The restarted operator
 * takes the session over from the agent, which kept what was not acknowledged; the api resumes the
 * client's stream from the first byte it had not sent.
 */
class KubernetesAgentRestartIT {
  static final int LINES = 12_500_000;

  @Test
  void aHundredMegabyteStreamSurvivesAnOperatorRestartEveryByteOnce() throws Exception {
    TestCluster.assumePodsRun();
    String ns = TestServer.kubernetesNamespace("execbox-agent-restart");
    int port = freePort();
    Map<String, Object> operatorRole = new HashMap<>(TestServer.kubernetesMode(ns));
    operatorRole.put("execbox.roles", "operator");
    operatorRole.put("server.port", port);
    operatorRole.put("execbox.advertise-address", "127.0.0.1:" + port);
    Map<String, Object> apiRole = new HashMap<>(TestServer.kubernetesMode(ns));
    apiRole.put("execbox.roles", "api");
    try (TestServer operator = TestServer.start(operatorRole);
        TestServer api = operator.replica(apiRole)) {
      Client c = Client.newAccount(api);
      String id =
          c.create(
              "{\"image\":\""
                  + TestCluster.IMAGE
                  + "\",\"command\":[\"sh\",\"-c\",\"sleep 1; seq 1 "
                  + LINES
                  + "\"],\"resources\":{\"timeoutMs\":300000,\"cpuMillis\":1000}}");
      Client.Attach a = c.attach(id);
      long until = System.nanoTime() + Duration.ofSeconds(120).toNanos();
      while (a.stdoutSize() < 30_000_000 && System.nanoTime() < until) {
        Client.sleep(50);
      }
      assertThat(a.stdoutSize()).as("bytes before the restart").isGreaterThan(30_000_000);
      operator.restart();
      assertThat(a.awaitClose(Duration.ofSeconds(240))).isEqualTo(1000);
      assertThat(a.errors).as("no error, no bytes dropped").isEmpty();
      assertThat(a.exitCode).isZero();
      assertThat(sha256(a.stdoutBytes())).isEqualTo(expected());
    } finally {
      try (KubernetesClient kube = TestCluster.client()) {
        TestCluster.deleteNamespace(kube, ns);
      }
    }
  }

  private static String expected() throws Exception {
    MessageDigest md = MessageDigest.getInstance("SHA-256");
    StringBuilder sb = new StringBuilder();
    for (int i = 1; i <= LINES; i++) {
      sb.append(i).append('\n');
      if (sb.length() > 1 << 16) {
        md.update(sb.toString().getBytes(StandardCharsets.US_ASCII));
        sb.setLength(0);
      }
    }
    md.update(sb.toString().getBytes(StandardCharsets.US_ASCII));
    return HexFormat.of().formatHex(md.digest());
  }

  private static String sha256(byte[] b) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
  }

  private static int freePort() throws java.io.IOException {
    try (var s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}
