package io.execbox.machines.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.execbox.crds.NetworkMode;
import io.execbox.crds.PortSpec;
import io.execbox.crds.SessionSpec;
import io.execbox.machines.MachineException;
import io.execbox.machines.MachineSpec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ContainerRequestsTest {
  private static final String SESSION = "sess_0123456789abcdef01234567";

  private static SessionSpec spec() {
    SessionSpec s = new SessionSpec();
    s.setImage("localhost/execbox-test/busybox:latest");
    return s;
  }

  private static JsonNode create(SessionSpec s) {
    return ContainerRequests.create(
        new MachineSpec(SESSION, "acct_1", s, 500, 256, Instant.now().plusSeconds(300), null),
        DockerOptions.defaults());
  }

  private static List<String> texts(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asText()));
    return out;
  }

  @Test
  void nameDerivesFromTheSession() {
    assertThat(ContainerRequests.containerName(SESSION))
        .isEqualTo("execbox-sess-0123456789abcdef01234567");
    assertThatThrownBy(() -> ContainerRequests.containerName("../x"))
        .isInstanceOf(MachineException.class);
  }

  @Test
  void limitsLabelsAndStdioForAttachBeforeStart() {
    SessionSpec s = spec();
    s.setCommand(List.of("sh", "-c", "echo hi"));
    Map<String, String> env = new LinkedHashMap<>();
    env.put("A", "1");
    env.put("SECRET", "x=y");
    s.setEnv(env);
    s.setWorkDir("/app");
    JsonNode c = create(s);
    assertThat(c.path("Image").asText()).isEqualTo("localhost/execbox-test/busybox:latest");
    assertThat(texts(c.path("Cmd"))).containsExactly("sh", "-c", "echo hi");
    assertThat(texts(c.path("Env"))).containsExactly("A=1", "SECRET=x=y");
    assertThat(c.path("WorkingDir").asText()).isEqualTo("/app");
    assertThat(c.path("Labels").path("io.execbox.managed").asText()).isEqualTo("true");
    assertThat(c.path("Labels").path("io.execbox.session").asText()).isEqualTo(SESSION);
    assertThat(c.path("Labels").path("io.execbox.owner").asText()).isEqualTo("acct_1");
    assertThat(c.path("Tty").asBoolean(true)).isFalse();
    for (String f :
        List.of("OpenStdin", "StdinOnce", "AttachStdin", "AttachStdout", "AttachStderr")) {
      assertThat(c.path(f).asBoolean()).as(f).isTrue();
    }
    JsonNode h = c.path("HostConfig");
    assertThat(h.path("Memory").asLong()).isEqualTo(256L * 1024 * 1024);
    assertThat(h.path("MemorySwap").asLong()).isEqualTo(256L * 1024 * 1024);
    assertThat(h.path("NanoCpus").asLong()).isEqualTo(500_000_000L);
    assertThat(h.path("PidsLimit").asLong()).isEqualTo(1024);
    assertThat(texts(h.path("CapDrop"))).containsExactly("ALL");
    assertThat(texts(h.path("CapAdd")))
        .containsExactly("CHOWN", "DAC_OVERRIDE", "FOWNER", "SETUID", "SETGID", "KILL");
    assertThat(texts(h.path("SecurityOpt"))).containsExactly("no-new-privileges");
    assertThat(h.path("AutoRemove").asBoolean(true)).isFalse();
    assertThat(h.path("Init").asBoolean()).as("the runtime's init is PID 1").isTrue();
    // Outgoing: the network execbox manages, behind the host's filter.
    assertThat(h.path("NetworkMode").asText()).isEqualTo("execbox");
    assertThat(c.has("ExposedPorts")).isFalse();
    // The sandbox's defaults: a bounded /tmp, the image's user, a writable root.
    assertThat(h.path("Tmpfs").path("/tmp").asText()).endsWith(",size=268435456");
    assertThat(c.has("User")).isFalse();
    assertThat(h.path("ReadonlyRootfs").asBoolean(false)).isFalse();
    // Docker has no user namespace per container; Podman gets userns=auto.
    assertThat(h.has("UsernsMode")).isFalse();
  }

  @Test
  void theSandboxSettingsReachTheRuntime() {
    DockerOptions o =
        DockerOptions.defaults()
            .withSandbox(
                new DockerOptions.Sandbox(
                    DockerOptions.Userns.AUTO, "1000:1000", true, 1024 * 1024, List.of("cap_kill")))
            .withNetwork(new DockerOptions.Network("sandboxes", true));
    JsonNode c =
        ContainerRequests.create(
            new MachineSpec(SESSION, "acct_1", spec(), 500, 256, Instant.now(), null), o, true);
    JsonNode h = c.path("HostConfig");
    assertThat(c.path("User").asText()).isEqualTo("1000:1000");
    assertThat(h.path("UsernsMode").asText()).isEqualTo("auto");
    assertThat(h.path("ReadonlyRootfs").asBoolean()).isTrue();
    assertThat(h.path("Tmpfs").path("/tmp").asText()).endsWith(",size=1048576");
    assertThat(texts(h.path("CapAdd"))).as("a configured user keeps no capability").isEmpty();
    assertThat(h.path("NetworkMode").asText()).isEqualTo("sandboxes");
    DockerOptions root =
        o.withSandbox(
            new DockerOptions.Sandbox(
                DockerOptions.Userns.HOST, null, false, 0, List.of("cap_kill")));
    JsonNode r =
        ContainerRequests.create(
                new MachineSpec(SESSION, "acct_1", spec(), 500, 256, Instant.now(), null),
                root,
                true)
            .path("HostConfig");
    assertThat(texts(r.path("CapAdd"))).containsExactly("KILL");
    assertThat(r.has("UsernsMode")).isFalse();
    assertThat(r.has("Tmpfs")).isFalse();
    assertThatThrownBy(
            () -> new DockerOptions.Sandbox(DockerOptions.Userns.AUTO, "root", false, 1, null))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(
            () -> new DockerOptions.Sandbox(DockerOptions.Userns.AUTO, null, true, 0, null))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void noCommandMeansTheImageDefault() {
    assertThat(create(spec()).has("Cmd")).isFalse();
  }

  @Test
  void networkNone() {
    SessionSpec s = spec();
    s.setNetwork(NetworkMode.NONE);
    assertThat(create(s).path("HostConfig").path("NetworkMode").asText()).isEqualTo("none");
  }

  @Test
  void exposedPortsBindToTheConfiguredHostOnRandomPorts() {
    SessionSpec s = spec();
    s.setNetwork(NetworkMode.EXPOSED);
    s.setPorts(List.of(new PortSpec(8080, null), new PortSpec(53, "udp")));
    JsonNode c = create(s);
    assertThat(c.path("ExposedPorts").has("8080/tcp")).isTrue();
    assertThat(c.path("ExposedPorts").has("53/udp")).isTrue();
    JsonNode b = c.path("HostConfig").path("PortBindings").path("8080/tcp").get(0);
    assertThat(b.path("HostIp").asText()).isEqualTo("127.0.0.1");
    assertThat(b.path("HostPort").asText()).isEmpty();
    assertThat(texts(c.path("HostConfig").path("CapAdd"))).contains("NET_BIND_SERVICE");
  }

  @Test
  void badInputIsAnInvalidSpec() {
    SessionSpec env = spec();
    env.setEnv(Map.of("A=B", "1"));
    SessionSpec wd = spec();
    wd.setWorkDir("relative");
    SessionSpec port = spec();
    port.setNetwork(NetworkMode.EXPOSED);
    port.setPorts(List.of(new PortSpec(80, "icmp")));
    for (SessionSpec s : List.of(env, wd, port)) {
      assertThatThrownBy(() -> create(s))
          .isInstanceOfSatisfying(
              MachineException.class,
              e -> assertThat(e.kind()).isEqualTo(MachineException.Kind.INVALID_SPEC));
    }
  }

  @Test
  void pullParametersAlwaysCarryATag() {
    assertThat(ContainerRequests.pullParameters("busybox")).containsExactly("busybox", "latest");
    assertThat(ContainerRequests.pullParameters("python:3.12")).containsExactly("python", "3.12");
    assertThat(ContainerRequests.pullParameters("localhost:5000/a/b"))
        .containsExactly("localhost:5000/a/b", "latest");
    assertThat(ContainerRequests.pullParameters("localhost:5000/a/b:1"))
        .containsExactly("localhost:5000/a/b", "1");
    assertThat(ContainerRequests.pullParameters("img@sha256:abc"))
        .containsExactly("img", "sha256:abc");
  }
}
