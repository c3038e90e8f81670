package io.execbox.machines.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import io.execbox.crds.FileSpec;
import io.execbox.crds.Labels;
import io.execbox.crds.NetworkMode;
import io.execbox.crds.PortSpec;
import io.execbox.crds.SessionSpec;
import io.execbox.machines.MachineOwner;
import io.execbox.machines.MachineSpec;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PodSpecsTest {
  static final String ID = "sess_0123456789abcdef01234567";
  static final MachineOwner OWNER =
      new MachineOwner("execbox.io/v1alpha1", "Session", "sess-0123456789abcdef01234567", "uid-1");
  static final PodOptions OPTIONS = new PodOptions("sandbox", null, "inst_1");

  /** Without the agent: the stdio gate. */
  static final PodOptions GATE = new PodOptions("sandbox", null, "inst_1", true, 10, null, false);

  static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");

  /** A session of kubernetes mode: its Session resource owns its objects. */
  static MachineSpec machine(SessionSpec s) {
    return new MachineSpec(ID, "acct_1", s, 500, 256, NOW.plusSeconds(25), OWNER);
  }

  /** A session of standalone mode: no owner. */
  static MachineSpec unowned(SessionSpec s) {
    return new MachineSpec(ID, "acct_1", s, 500, 256, NOW.plusSeconds(25), null);
  }

  static SessionSpec spec() {
    SessionSpec s = new SessionSpec();
    s.setImage("localhost/execbox-test/busybox:latest");
    s.setCommand(List.of("sh", "-c", "echo hi"));
    return s;
  }

  @Test
  void podIsNamedLabelledOwnedAndNeverRestarted() {
    Pod p = PodSpecs.pod(machine(spec()), OPTIONS, 30);
    assertThat(p.getMetadata().getName()).isEqualTo("sess-0123456789abcdef01234567");
    assertThat(p.getMetadata().getNamespace()).isEqualTo("sandbox");
    assertThat(p.getMetadata().getLabels())
        .containsEntry(Labels.MANAGED, "true")
        .containsEntry(Labels.SESSION, ID)
        .containsEntry(Labels.OWNER, "acct_1")
        .containsEntry(Labels.INSTALLATION, "inst_1");
    assertThat(p.getMetadata().getOwnerReferences())
        .singleElement()
        .satisfies(
            o -> {
              assertThat(o.getUid()).isEqualTo("uid-1");
              assertThat(o.getController()).isTrue();
            });
    assertThat(p.getSpec().getRestartPolicy()).isEqualTo("Never");
    assertThat(p.getSpec().getActiveDeadlineSeconds()).isEqualTo(30L);
    assertThat(p.getSpec().getAutomountServiceAccountToken()).isFalse();
  }

  @Test
  void containerIsHardenedAndAttachable() {
    Container c = PodSpecs.pod(machine(spec()), GATE, 30).getSpec().getContainers().get(0);
    assertThat(c.getStdin()).isTrue();
    assertThat(c.getStdinOnce()).isTrue();
    assertThat(c.getTty()).isFalse();
    assertThat(c.getImagePullPolicy()).isEqualTo("IfNotPresent");
    assertThat(c.getCommand())
        .containsExactly("/bin/sh", "-c", PodSpecs.GATE, "execbox-gate", "sh", "-c", "echo hi");
    assertThat(c.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
    assertThat(c.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
    assertThat(c.getSecurityContext().getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
    assertThat(c.getResources().getLimits().get("cpu").toString()).isEqualTo("500m");
    assertThat(c.getResources().getLimits().get("memory").toString()).isEqualTo("256Mi");
    assertThat(c.getResources().getRequests().get("cpu").toString()).as("10%").isEqualTo("50m");
    assertThat(c.getResources().getRequests().get("memory").toString()).isEqualTo("256Mi");
  }

  @Test
  void envAndWorkDirAndImageDefaultCommand() {
    SessionSpec s = spec();
    s.setCommand(null);
    s.setEnv(Map.of("B", "2", "A", "1"));
    s.setWorkDir("/app");
    Container c = PodSpecs.pod(machine(s), OPTIONS, 30).getSpec().getContainers().get(0);
    assertThat(c.getCommand()).as("the image's default command, not gated").isEmpty();
    assertThat(c.getEnv())
        .extracting(e -> e.getName() + "=" + e.getValue())
        .containsExactly("A=1", "B=2");
    assertThat(c.getWorkingDir()).isEqualTo("/app");
  }

  @Test
  void gateIsMarkedAndCanBeTurnedOff() {
    Pod gated = PodSpecs.pod(machine(spec()), GATE, 30);
    assertThat(gated.getMetadata().getLabels()).containsEntry(PodSpecs.GATED_LABEL, "true");
    Pod plain =
        PodSpecs.pod(
            unowned(spec()), new PodOptions("sandbox", null, "inst_1", false, 10, null), 30);
    assertThat(plain.getMetadata().getLabels()).doesNotContainKey(PodSpecs.GATED_LABEL);
    assertThat(plain.getSpec().getContainers().get(0).getCommand())
        .containsExactly("sh", "-c", "echo hi");
    assertThat(plain.getMetadata().getOwnerReferences()).as("standalone: no owner").isEmpty();
    assertThat(plain.getSpec().getSecurityContext()).as("the image's own user").isNull();
    Pod nonRoot =
        PodSpecs.pod(unowned(spec()), new PodOptions("sandbox", null, "i", true, 10, 65534L), 30);
    assertThat(nonRoot.getSpec().getSecurityContext().getRunAsNonRoot()).isTrue();
    assertThat(nonRoot.getSpec().getSecurityContext().getRunAsUser()).isEqualTo(65534L);
  }

  @Test
  void exposedPortsGetAService() {
    SessionSpec s = spec();
    s.setNetwork(NetworkMode.EXPOSED);
    s.setPorts(List.of(new PortSpec(8080, null), new PortSpec(53, "udp")));
    Service svc = PodSpecs.service(machine(s), OPTIONS);
    assertThat(svc.getSpec().getSelector()).containsEntry(Labels.SESSION, ID);
    assertThat(svc.getSpec().getPorts())
        .extracting(p -> p.getName() + ":" + p.getPort() + "/" + p.getProtocol())
        .containsExactly("tcp-8080:8080/TCP", "udp-53:53/UDP");
    assertThat(PodSpecs.pod(machine(s), OPTIONS, 30).getSpec().getContainers().get(0).getPorts())
        .extracting(p -> p.getContainerPort())
        .containsExactly(8080, 53);
    assertThat(PodSpecs.service(machine(spec()), OPTIONS)).as("outgoing").isNull();
  }

  @Test
  void filesComeFromASecretMountedFileByFile() {
    SessionSpec s = spec();
    s.setFiles(
        List.of(
            new FileSpec("/etc/extra.conf", "x=1\n", null),
            new FileSpec(
                "/app/data.bin", Base64.getEncoder().encodeToString(new byte[] {0, 1}), "base64")));
    Pod p = PodSpecs.pod(machine(s), OPTIONS, 30);
    Container c = p.getSpec().getContainers().get(0);
    assertThat(c.getVolumeMounts())
        .extracting(m -> m.getMountPath() + "<-" + m.getSubPath())
        .containsExactly("/etc/extra.conf<-file-0", "/app/data.bin<-file-1");
    assertThat(p.getSpec().getVolumes())
        .singleElement()
        .satisfies(
            v ->
                assertThat(v.getSecret().getSecretName())
                    .isEqualTo("sess-0123456789abcdef01234567-files"));
    Secret secret = PodSpecs.filesSecret(machine(s), OPTIONS);
    assertThat(new String(Base64.getDecoder().decode(secret.getData().get("file-0"))))
        .isEqualTo("x=1\n");
    assertThat(Base64.getDecoder().decode(secret.getData().get("file-1"))).containsExactly(0, 1);
    assertThat(PodSpecs.filesSecret(machine(spec()), OPTIONS)).isNull();
  }

  @Test
  void networkNoneDeniesAllEgressAndOutgoingDeniesPrivateRangesOnePolicyPerMode() {
    NetworkPolicy deny = PodSpecs.networkPolicy(NetworkMode.NONE, OPTIONS);
    assertThat(deny.getMetadata().getName()).isEqualTo("execbox-network-none");
    assertThat(deny.getSpec().getPolicyTypes()).containsExactly("Egress");
    assertThat(deny.getSpec().getEgress()).isEmpty();
    assertThat(deny.getSpec().getPodSelector().getMatchLabels())
        .containsExactly(Map.entry(PodSpecs.NETWORK_LABEL, "none"));

    NetworkPolicy out = PodSpecs.networkPolicy(NetworkMode.OUTGOING, OPTIONS);
    var block = out.getSpec().getEgress().get(0).getTo().get(0).getIpBlock();
    assertThat(block.getCidr()).isEqualTo("0.0.0.0/0");
    assertThat(block.getExcept()).contains("10.0.0.0/8", "169.254.0.0/16", "192.168.0.0/16");
    var dns = out.getSpec().getEgress().get(1);
    assertThat(dns.getTo().get(0).getPodSelector().getMatchLabels())
        .as("name resolution still works: the cluster DNS is in a private range")
        .containsExactly(Map.entry("k8s-app", "kube-dns"));
    assertThat(dns.getTo().get(0).getNamespaceSelector()).isNotNull();
    assertThat(dns.getPorts())
        .extracting(p -> p.getProtocol() + "/" + p.getPort().getIntVal())
        .containsExactly("UDP/53", "TCP/53");

    SessionSpec none = spec();
    none.setNetwork(NetworkMode.NONE);
    assertThat(PodSpecs.pod(machine(none), OPTIONS, 30).getMetadata().getLabels())
        .as("the Pod carries the label its mode's policy selects")
        .containsEntry(PodSpecs.NETWORK_LABEL, "none");
  }

  @Test
  void objectsAreEverythingASessionNeedsWithThePodsDeadlineAfterTheSessions() {
    SessionSpec s = spec();
    s.setNetwork(NetworkMode.EXPOSED);
    s.setPorts(List.of(new PortSpec(8080, null)));
    s.setFiles(List.of(new FileSpec("/tmp/a", "a", null)));
    DesiredObjects all = PodSpecs.objects(machine(s), OPTIONS, NOW.plusMillis(100));
    // 24.9 s left of the session, rounded up, and the margin
    assertThat(all.pod().getSpec().getActiveDeadlineSeconds()).isEqualTo(30L);
    assertThat(all.files().getMetadata().getName()).isEqualTo(PodSpecs.filesSecretName(ID));
    assertThat(all.service().getMetadata().getOwnerReferences()).hasSize(1);
    assertThat(all.networkPolicy().getMetadata().getName()).isEqualTo("execbox-network-exposed");
    assertThat(all.files().getMetadata().getOwnerReferences())
        .singleElement()
        .satisfies(o -> assertThat(o.getName()).isEqualTo(OWNER.name()));

    DesiredObjects plain = PodSpecs.objects(unowned(spec()), OPTIONS, NOW.plusSeconds(60));
    assertThat(plain.files()).isNull();
    assertThat(plain.service()).isNull();
    assertThat(plain.pod().getMetadata().getOwnerReferences()).isEmpty();
    assertThat(plain.pod().getSpec().getActiveDeadlineSeconds())
        .as("a session past its deadline: the margin only")
        .isEqualTo(5L);
  }

  @Test
  void dollarsInTheCommandAndEnvReachTheProcessAsWritten() {
    // the kubelet would expand $(NAME) and turn $$ into $; other runtimes pass both on as they are
    SessionSpec s = spec();
    s.setCommand(java.util.List.of("sh", "-c", "echo $$ $(HOME) $1"));
    s.setEnv(java.util.Map.of("V", "a$(B)$$c"));
    var c = PodSpecs.pod(unowned(s), OPTIONS, 30).getSpec().getContainers().get(0);
    assertThat(String.join(" ", c.getCommand())).endsWith("echo $$$$ $$(HOME) $$1");
    assertThat(c.getEnv().get(0).getValue()).isEqualTo("a$$(B)$$$$c");
  }

  @Test
  void theAgentIsPid1InFrontOfTheCommandFromItsConfigMapWithItsSecret() {
    PodAgents agents = new PodAgents(null, "sandbox", "k".getBytes());
    Pod pod = PodSpecs.pod(machine(spec()), OPTIONS, 30);
    assertThat(pod.getMetadata().getLabels()).doesNotContainKey(PodSpecs.GATED_LABEL);
    Pod p = agents.withAgent(pod, "sess_0123456789abcdef01234567", List.of("sh", "-c", "echo $$"));
    Container c = p.getSpec().getContainers().get(0);
    assertThat(c.getCommand())
        .containsExactly(
            PodAgents.BINARY, "--listen", "127.0.0.1:7070", "--", "sh", "-c", "echo $$$$");
    assertThat(c.getStdin()).isFalse();
    assertThat(c.getEnv())
        .anySatisfy(
            e -> {
              assertThat(e.getName()).isEqualTo(PodAgents.SECRET_ENV);
              assertThat(e.getValue())
                  .hasSize(64)
                  .isEqualTo(agents.secret("sess_0123456789abcdef01234567"));
            });
    assertThat(agents.secret("sess_0123456789abcdef01234567"))
        .isNotEqualTo(agents.secret("sess_0123456789abcdef01234568"));
    assertThat(c.getVolumeMounts())
        .anySatisfy(m -> assertThat(m.getMountPath()).isEqualTo(PodAgents.DIR));
    assertThat(p.getSpec().getVolumes())
        .anySatisfy(
            v -> {
              assertThat(v.getConfigMap().getName()).isEqualTo(PodAgents.configMapName());
              assertThat(v.getConfigMap().getDefaultMode()).isEqualTo(0555);
            });
    assertThat(p.getMetadata().getLabels()).containsEntry(io.execbox.crds.Labels.AGENT, "true");
    assertThat(PodAgents.portOf(p)).isEqualTo(7070);
  }
}
