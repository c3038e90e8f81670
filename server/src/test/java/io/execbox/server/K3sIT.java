package io.execbox.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.k3s.K3sContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * Kubernetes mode on k3s in a container, for users who have a Docker engine and a registry: opt in
 * with EXECBOX_K3S=1 (it pulls the k3s and busybox images). Without a Docker engine it skips
 * itself; without the opt-in it never touches Docker at all, so nothing is pulled from a registry
 * on machines where that is not allowed. The real proof runs on scripts/kube-node.sh.
 */
@EnabledIfEnvironmentVariable(named = "EXECBOX_K3S", matches = "1")
@Testcontainers(disabledWithoutDocker = true)
class K3sIT {
  static K3sContainer k3s;
  static TestServer server;

  @BeforeAll
  static void start() throws Exception {
    k3s = new K3sContainer(DockerImageName.parse("rancher/k3s:v1.21.3-k3s1"));
    k3s.start();
    Path kubeconfig = Files.createTempFile("execbox-k3s", ".yaml");
    Files.writeString(kubeconfig, k3s.getKubeConfigYaml());
    System.setProperty("kubeconfig", kubeconfig.toString());
    try (var client =
        new io.fabric8.kubernetes.client.KubernetesClientBuilder()
            .withConfig(io.fabric8.kubernetes.client.Config.fromKubeconfig(k3s.getKubeConfigYaml()))
            .build()) {
      TestServer.installCrd(client);
      client
          .namespaces()
          .resource(
              new io.fabric8.kubernetes.api.model.NamespaceBuilder()
                  .withNewMetadata()
                  .withName("execbox")
                  .endMetadata()
                  .build())
          .create();
    }
    Map<String, Object> settings = new HashMap<>(TestServer.kubernetesMode("execbox"));
    server = TestServer.start(settings);
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.close();
    }
    if (k3s != null) {
      k3s.stop();
    }
  }

  @Test
  void aSessionRunsAsAPodOfK3s() {
    Client c = Client.newAccount(server);
    String id =
        c.create("{\"image\":\"busybox:1.36\",\"command\":[\"sh\",\"-c\",\"echo hi; exit 5\"]}");
    Client.Attach a = c.attach(id);
    a.awaitClose(Duration.ofMinutes(3));
    assertThat(a.out()).isEqualTo("hi\n");
    assertThat(a.exitCode).isEqualTo(5);
  }
}
