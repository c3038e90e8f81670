package io.execbox.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.execbox.crds.Session;
import io.execbox.crds.SessionIds;
import io.execbox.machines.kubernetes.TestCluster;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Two operator replicas of one installation in kubernetes mode: one holds the Lease and reconciles;
 * when it dies, the other takes over within the lease duration and sessions run again. Part of the
 * fast tier too (no kubelet): there the sessions get their Pod and status.
 */
class LeaderElectionIT {
  static final Duration LEASE = Duration.ofSeconds(4);

  /**
   * The longest a takeover may take: the lease, plus a retry period (lease / 5) to see the last
   * renewal and one to acquire, plus this test's own polling and a loaded machine's slack.
   */
  static final Duration TAKEOVER = LEASE.multipliedBy(2);

  @Test
  void oneReplicaLeadsAndTheOtherTakesOverWhenItDies() {
    String namespace = TestServer.kubernetesNamespace("execbox-lease");
    Map<String, Object> settings = new HashMap<>(TestServer.kubernetesMode(namespace));
    settings.put("execbox.kubernetes.lease-duration", LEASE.toMillis() + "ms");
    TestServer first = TestServer.start(settings);
    TestServer second = first.replica(settings);
    try (KubernetesClient kube = TestCluster.client()) {
      String leader = awaitHolder(kube, namespace, null);
      Client c = Client.newAccount(first);
      awaitRun(kube, namespace, c, "before", 0);

      // the leader dies (its context closes; it does not hand the lease over on purpose)
      assertThat(holds(first, leader) || holds(second, leader)).isTrue();
      TestServer dying = holds(first, leader) ? first : second;
      TestServer survivor = dying == first ? second : first;
      assertThat(dying.bean(Leadership.class).leading()).as("the holder leads").isTrue();
      assertThat(survivor.bean(Leadership.class).leading()).as("the other only waits").isFalse();
      long died = System.nanoTime();
      dying.close();
      String next = awaitHolder(kube, namespace, leader);
      Duration takeover = Duration.ofNanos(System.nanoTime() - died);
      assertThat(next).isNotEqualTo(leader);
      assertThat(takeover).as("within the lease and its retries").isLessThan(TAKEOVER);
      assertThat(survivor.bean(Leadership.class).leading()).isTrue();

      awaitRun(kube, namespace, Client.newAccount(survivor), "after", 5);
    } finally {
      first.close();
      second.close();
      try (KubernetesClient kube = TestCluster.client()) {
        TestCluster.deleteNamespace(kube, namespace);
      }
    }
  }

  @Test
  void whenTheLeaderIsKilledTheOtherReplicaTakesOverWithinTheLease() throws Exception {
    String namespace = TestServer.kubernetesNamespace("execbox-kill");
    Map<String, Object> settings = new HashMap<>(TestServer.kubernetesMode(namespace));
    settings.put("execbox.kubernetes.lease-duration", LEASE.toMillis() + "ms");
    // the follower, in this JVM; the leader, the built jar in a process of its own, killed -9
    TestServer follower = TestServer.start(settings);
    String mine = follower.bean(KubernetesModeConfiguration.LeaseIdentity.class).value();
    Process leader = null;
    try (KubernetesClient kube = TestCluster.client()) {
      String first = awaitHolder(kube, namespace, null);
      assertThat(first).isEqualTo(mine); // it started first and holds it; now start the other
      ProcessBuilder pb =
          new ProcessBuilder(
                  "java", "-jar", java.nio.file.Path.of("target", "execbox-server.jar").toString())
              .redirectErrorStream(true)
              .redirectOutput(java.io.File.createTempFile("execbox-leader", ".log"));
      pb.environment().put("KUBECONFIG", System.getProperty("kubeconfig"));
      pb.environment().put("EXECBOX_MODE", "kubernetes");
      pb.environment().put("EXECBOX_BACKEND", "kubernetes");
      pb.environment().put("EXECBOX_NAMESPACE", namespace);
      pb.environment().put("EXECBOX_DATABASE_URL", follower.databaseUrl());
      pb.environment().put("EXECBOX_KUBERNETES_LEASE_DURATION", LEASE.toMillis() + "ms");
      pb.environment().put("EXECBOX_KUBERNETES_CPU_REQUEST_PERCENT", "5");
      pb.environment().put("SERVER_PORT", "0");
      pb.environment().put("MANAGEMENT_SERVER_PORT", "0");
      leader = pb.start();
      // hand the lease to the process: the in-JVM replica stops, the process takes over
      follower.close();
      String processIdentity = awaitHolder(kube, namespace, mine);
      follower = follower.replica(settings);
      String follows = follower.bean(KubernetesModeConfiguration.LeaseIdentity.class).value();

      long killed = System.nanoTime();
      leader.destroyForcibly().waitFor(); // SIGKILL: no lease hand-over, no shutdown hook
      String next = awaitHolder(kube, namespace, processIdentity);
      Duration takeover = Duration.ofNanos(System.nanoTime() - killed);
      assertThat(next).isEqualTo(follows);
      assertThat(takeover).as("within the lease and its retries").isLessThan(TAKEOVER);

      awaitRun(kube, namespace, Client.newAccount(follower), "after-kill", 2);
    } finally {
      if (leader != null) {
        leader.destroyForcibly();
      }
      follower.close();
      try (KubernetesClient kube = TestCluster.client()) {
        TestCluster.deleteNamespace(kube, namespace);
      }
    }
  }

  /**
   * Shows that the leader reconciles: a session runs to its output and exit code on a node that
   * runs Pods; without a kubelet (the fast tier) its Pod is created and its status written.
   */
  private static void awaitRun(
      KubernetesClient kube, String namespace, Client c, String word, int exitCode) {
    String id = c.create(Client.sh("echo " + word + "; exit " + exitCode));
    if (TestCluster.runsPods()) {
      Client.Attach a = c.attach(id);
      a.awaitClose(Duration.ofSeconds(60));
      assertThat(a.out()).isEqualTo(word + "\n");
      assertThat(a.exitCode).isEqualTo(exitCode);
      return;
    }
    long until = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (System.nanoTime() < until) {
      Session s =
          kube.resources(Session.class)
              .inNamespace(namespace)
              .withName(SessionIds.objectName(id))
              .get();
      if (s != null
          && s.getStatus() != null
          && s.getStatus().getMachineName() != null
          && kube.pods().inNamespace(namespace).withName(s.getStatus().getMachineName()).get()
              != null) {
        assertThat(s.getStatus().getPhase().wire()).isEqualTo("pending");
        return;
      }
      Client.sleep(100);
    }
    throw new AssertionError("session " + id + " got no Pod and status from the leader");
  }

  /** Whether {@code identity} in the Lease is this server's. */
  private static boolean holds(TestServer s, String identity) {
    return s.context().isActive()
        && s.bean(KubernetesModeConfiguration.LeaseIdentity.class).value().equals(identity);
  }

  private static String awaitHolder(KubernetesClient kube, String namespace, String notThis) {
    long until = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (System.nanoTime() < until) {
      Lease lease = kube.leases().inNamespace(namespace).withName("execbox-operator").get();
      if (lease != null
          && lease.getSpec().getHolderIdentity() != null
          && !lease.getSpec().getHolderIdentity().equals(notThis)) {
        return lease.getSpec().getHolderIdentity();
      }
      Client.sleep(100);
    }
    throw new AssertionError("no replica took the lease in " + namespace);
  }
}
