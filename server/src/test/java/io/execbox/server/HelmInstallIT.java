package io.execbox.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.marcnuri.helm.Helm;
import io.execbox.crds.Labels;
import io.execbox.machines.kubernetes.TestCluster;
import io.execbox.store.DatabaseSettings;
import io.execbox.store.TestDatabase;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReview;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReviewBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * As a cluster operator installs it: the execbox image (built by Jib, imported into the node's
 * containerd), the chart installed by Helm (helm-java) on the real node, the api and operator Pods
 * Ready, the operator holding its Lease, and a session created through the installed api running to
 * its output and exit code. Test-only wiring comes from {@code helm/test-values.yaml}.
 */
class HelmInstallIT {
  static final String ADMIN = "admin-token-for-the-helm-test-0123456789";

  @Test
  void helmInstallRunsASessionThroughTheInstalledApi() throws Exception {
    Path kubeconfig = TestCluster.kubeconfig();
    TestCluster.assumePodsRun();
    Path tar = imageTar();
    String image = System.getProperty("execbox.test.image");
    importImage(tar);
    DatabaseSettings db = TestDatabase.freshDatabase();
    String credentials = db.password() == null ? db.user() : db.user() + ":" + db.password();
    String url = "postgresql://" + credentials + "@127.0.0.1:" + db.port() + "/" + db.database();
    try (KubernetesClient kube = TestCluster.client()) {
      TestServer.installCrd(kube); // as `helm install` does from the chart's crds/
      String ns = TestCluster.freshNamespace(kube, "execbox-helm");
      try {
        secret(kube, ns, "execbox-kubeconfig", "config", Files.readString(kubeconfig));
        secret(kube, ns, "execbox-admin", "token", ADMIN);
        new Helm(HelmChartTest.CHART)
            .install()
            .withName("sandbox")
            .withNamespace(ns)
            .withKubeConfig(kubeconfig)
            .withValuesFile(Path.of("src", "test", "resources", "helm", "test-values.yaml"))
            .set("image.tag", image.substring(image.lastIndexOf(':') + 1))
            .set("database.url", url)
            .waitReady()
            .withTimeout(300)
            .call();

        assertThat(
                kube.pods()
                    .inNamespace(ns)
                    .withLabel("app.kubernetes.io/instance", "sandbox")
                    .list()
                    .getItems())
            .hasSize(2)
            .allSatisfy(
                p ->
                    assertThat(p.getStatus().getConditions())
                        .anyMatch(
                            c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus())));
        Lease lease = awaitLease(kube, ns);
        assertThat(lease.getSpec().getHolderIdentity()).isNotBlank();

        // Each role acts as its ServiceAccount (test-values.yaml), so the Roles are all it has.
        String api = "system:serviceaccount:" + ns + ":sandbox-execbox-api";
        String operator = "system:serviceaccount:" + ns + ":sandbox-execbox-operator";
        assertThat(allowed(kube, ns, api, "create", "sessions", null)).isTrue();
        assertThat(allowed(kube, ns, api, "get", "pods", "log")).isTrue();
        assertThat(allowed(kube, ns, api, "create", "pods", null)).isFalse();
        assertThat(allowed(kube, ns, api, "create", "pods", "attach"))
            .as("the api forwards attach clients to the operator")
            .isFalse();
        assertThat(allowed(kube, ns, operator, "create", "pods", null)).isTrue();
        assertThat(allowed(kube, ns, operator, "create", "pods", "attach")).isTrue();
        assertThat(allowed(kube, ns, operator, "update", "leases", null)).isTrue();
        assertThat(allowed(kube, ns, operator, "list", "secrets", null))
            .as("the operator writes session Secrets but cannot read the installation's")
            .isFalse();
        assertThat(allowed(kube, ns, operator, "delete", "namespaces", null)).isFalse();

        String base = "http://127.0.0.1:18181";
        Client.Response key =
            Client.raw(base, "POST", "/v1/admin/keys", "{\"name\":\"helm-test\"}", ADMIN);
        assertThat(key.status()).as(key.text()).isEqualTo(201);
        JsonNode k = key.json();
        Client c = new Client(base, k.get("key").asText(), k.get("accountId").asText());
        // interactive, through the api Pod: forwarded to the operator Pod holding its stdio
        String id =
            c.create(Client.sh("echo installed; read l; echo got:$l; echo oops >&2; exit 3"));
        Client.Attach a = c.attach(id);
        // the chart's operator runs it behind the agent it delivers (the command waits on stdin)
        Pod pod = awaitSessionPod(kube, ns, id);
        assertThat(pod.getMetadata().getLabels()).containsEntry(Labels.AGENT, "true");
        assertThat(kube.configMaps().inNamespace(ns).list().getItems())
            .anyMatch(m -> m.getMetadata().getName().startsWith("execbox-agent-"));
        a.stdin("hello\n");
        assertThat(a.awaitClose(Duration.ofSeconds(120))).isEqualTo(1000);
        assertThat(a.out()).isEqualTo("installed\ngot:hello\n");
        assertThat(a.err()).isEqualTo("oops\n");
        assertThat(a.exitCode).isEqualTo(3);
        assertThat(c.awaitStatus(id, Duration.ofSeconds(60), "stopped").get("exitCode").asInt())
            .isEqualTo(3);
      } finally {
        try {
          Helm.uninstall("sandbox").withKubeConfig(kubeconfig).withNamespace(ns).call();
        } catch (RuntimeException e) {
          // the namespace goes anyway
        }
        TestCluster.deleteNamespace(kube, ns);
      }
    }
  }

  private static Pod awaitSessionPod(KubernetesClient kube, String ns, String sessionId) {
    long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (System.nanoTime() < end) {
      var pods = kube.pods().inNamespace(ns).withLabel(Labels.SESSION, sessionId).list().getItems();
      if (!pods.isEmpty()) {
        return pods.get(0);
      }
      Client.sleep(250);
    }
    throw new AssertionError("no Pod of session " + sessionId + " in " + ns);
  }

  /** Whether {@code user} may do {@code verb} on {@code resource} in {@code ns}, by RBAC. */
  private static boolean allowed(
      KubernetesClient kube,
      String ns,
      String user,
      String verb,
      String resource,
      String subresource) {
    SubjectAccessReview review =
        new SubjectAccessReviewBuilder()
            .withNewSpec()
            .withUser(user)
            .withGroups("system:serviceaccounts", "system:authenticated")
            .withNewResourceAttributes()
            .withNamespace(ns)
            .withVerb(verb)
            .withGroup(
                resource.equals("sessions")
                    ? "execbox.io"
                    : resource.equals("leases") ? "coordination.k8s.io" : "")
            .withResource(resource)
            .withSubresource(subresource)
            .endResourceAttributes()
            .endSpec()
            .build();
    return kube.authorization().v1().subjectAccessReview().create(review).getStatus().getAllowed();
  }

  private static Path imageTar() {
    String tar = System.getProperty("execbox.test.image-tar");
    boolean present = tar != null && Files.isRegularFile(Path.of(tar));
    if (System.getenv("EXECBOX_REQUIRE_IMAGE") != null && !present) {
      throw new IllegalStateException("EXECBOX_REQUIRE_IMAGE is set but no image tar: " + tar);
    }
    Assumptions.assumeTrue(present, "no execbox image tar (build with mvn -Pimage)");
    return Path.of(tar);
  }

  /** Imports the image into the test node's containerd (no registry here). */
  private static void importImage(Path tar) throws Exception {
    String sock = System.getenv("EXECBOX_TEST_CONTAINERD");
    Assumptions.assumeTrue(
        sock != null, "EXECBOX_TEST_CONTAINERD names the node's containerd socket");
    Process p =
        new ProcessBuilder(
                "ctr", "--address", sock, "-n", "k8s.io", "images", "import", tar.toString())
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes());
    assertThat(p.waitFor(180, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
  }

  private static void secret(
      KubernetesClient kube, String ns, String name, String key, String value) {
    kube.resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName(name)
                .withNamespace(ns)
                .endMetadata()
                .withStringData(Map.of(key, value))
                .build())
        .create();
  }

  private static Lease awaitLease(KubernetesClient kube, String ns) {
    long until = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (System.nanoTime() < until) {
      Lease l =
          kube.resources(Lease.class).inNamespace(ns).withName("sandbox-execbox-operator").get();
      if (l != null && l.getSpec().getHolderIdentity() != null) {
        return l;
      }
      Client.sleep(200);
    }
    throw new AssertionError("no operator took the lease in " + ns);
  }
}
