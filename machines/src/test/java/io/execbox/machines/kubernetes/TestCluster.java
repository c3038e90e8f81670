package io.execbox.machines.kubernetes;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Assumptions;

/**
 * The real Kubernetes node of the test run ({@code scripts/kube-node.sh}), found through
 * EXECBOX_TEST_KUBECONFIG. Without it the Kubernetes tests skip themselves, unless
 * EXECBOX_REQUIRE_KUBE is set (as {@code scripts/test.sh} does): then its absence fails them.
 */
public final class TestCluster {
  public static final String IMAGE = "localhost/execbox-test/busybox:latest";

  private TestCluster() {}

  /** The kubeconfig file of the test node; skips (or fails, when required) without one. */
  public static Path kubeconfig() {
    String path = System.getenv("EXECBOX_TEST_KUBECONFIG");
    boolean present = path != null && !path.isBlank() && Files.isReadable(Path.of(path));
    if (System.getenv("EXECBOX_REQUIRE_KUBE") != null && !present) {
      throw new IllegalStateException(
          "EXECBOX_REQUIRE_KUBE is set but EXECBOX_TEST_KUBECONFIG names no readable kubeconfig");
    }
    Assumptions.assumeTrue(present, "no test Kubernetes node (EXECBOX_TEST_KUBECONFIG)");
    return Path.of(path);
  }

  private static volatile Boolean runsPods;

  /**
   * Whether the test cluster has a Ready node whose kubelet runs Pods: false on the API-server-only
   * recipe ({@code scripts/kube-apiserver.sh}), where Pods stay Pending.
   */
  public static boolean runsPods() {
    Boolean known = runsPods;
    if (known == null) {
      try (KubernetesClient c = client()) {
        known =
            c.nodes().list().getItems().stream()
                .anyMatch(
                    n ->
                        n.getStatus() != null
                            && n.getStatus().getConditions() != null
                            && n.getStatus().getConditions().stream()
                                .anyMatch(
                                    x ->
                                        "Ready".equals(x.getType())
                                            && "True".equals(x.getStatus())));
      }
      runsPods = known;
    }
    return known;
  }

  /**
   * Skips a test that needs Pods to really run when the cluster has no kubelet; fails it instead
   * when EXECBOX_REQUIRE_PODS is set (as {@code scripts/test.sh} does for its node), after giving
   * the node a minute to be Ready, so that a node gone wrong cannot turn the real tier into skips.
   */
  public static void assumePodsRun() {
    if (System.getenv("EXECBOX_REQUIRE_PODS") != null) {
      long deadline = System.nanoTime() + 60_000_000_000L;
      while (!runsPods() && System.nanoTime() < deadline) {
        runsPods = null;
        try {
          Thread.sleep(1000);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        }
      }
      if (!runsPods()) {
        throw new IllegalStateException(
            "EXECBOX_REQUIRE_PODS is set but the test cluster has no Ready node");
      }
    }
    Assumptions.assumeTrue(runsPods(), "the test cluster has no kubelet: Pods do not run");
  }

  public static KubernetesClient client() {
    try {
      Config config = Config.fromKubeconfig(Files.readString(kubeconfig()));
      return new KubernetesClientBuilder().withConfig(config).build();
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Deletes a test namespace, first taking the finalizers off the Session resources left in it
   * (their operator is gone, so nothing else would, and the namespace would never go).
   */
  public static void deleteNamespace(KubernetesClient client, String namespace) {
    var sessions = client.resources(io.execbox.crds.Session.class).inNamespace(namespace);
    java.util.List<io.execbox.crds.Session> left;
    try {
      left = sessions.list().getItems();
    } catch (io.fabric8.kubernetes.client.KubernetesClientException e) {
      left = java.util.List.of(); // no Session CRD in this cluster
    }
    for (var s : left) {
      if (s.getMetadata().getFinalizers() != null && !s.getMetadata().getFinalizers().isEmpty()) {
        sessions
            .withName(s.getMetadata().getName())
            .edit(
                x -> {
                  x.getMetadata().setFinalizers(java.util.List.of());
                  return x;
                });
      }
    }
    client.namespaces().withName(namespace).delete();
  }

  /** A fresh namespace for one test class. */
  public static String freshNamespace(KubernetesClient client, String prefix) {
    String name =
        (prefix + "-" + Long.toHexString(ThreadLocalRandom.current().nextLong() & 0xffffffL))
            .toLowerCase(Locale.ROOT);
    client
        .namespaces()
        .resource(new NamespaceBuilder().withNewMetadata().withName(name).endMetadata().build())
        .create();
    return name;
  }
}
