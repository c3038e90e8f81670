package io.execbox.machines.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;

class DockerHostTest {
  @Test
  void configuredValueWinsEvenWhenSocketsExist() {
    DockerHost h = DockerHost.resolve(" unix:///run/x.sock ", "/run/user/0", p -> true);
    assertThat(h.uri()).isEqualTo("unix:///run/x.sock");
    assertThat(h.address()).isEqualTo(UnixDomainSocketAddress.of("/run/x.sock"));
  }

  @Test
  void blankFallsBackToDockerSocketFirst() {
    DockerHost h = DockerHost.resolve("  ", "/run/user/0", p -> true);
    assertThat(h.uri()).isEqualTo("unix:///var/run/docker.sock");
  }

  @Test
  void thenTheUsersPodmanThenTheSystemPodman() {
    Set<Path> present =
        Set.of(Path.of("/run/user/1000/podman/podman.sock"), Path.of("/run/podman/podman.sock"));
    assertThat(DockerHost.resolve(null, "/run/user/1000", present::contains).uri())
        .isEqualTo("unix:///run/user/1000/podman/podman.sock");
    assertThat(DockerHost.resolve(null, null, present::contains).uri())
        .isEqualTo("unix:///run/podman/podman.sock");
  }

  @Test
  void noSocketAnywhereSaysWhatToSetOnOneLine() {
    assertThatThrownBy(() -> DockerHost.resolve("", "/run/user/0", p -> false))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage(
            "no Docker or Podman socket found: set DOCKER_HOST=unix:///path/to/socket or start"
                + " `podman system service`")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
  }

  @Test
  void tcpHostsAreSupported() {
    DockerHost h = new DockerHost("tcp://127.0.0.1:2375");
    InetSocketAddress a = (InetSocketAddress) h.address();
    assertThat(a.getHostString()).isEqualTo("127.0.0.1");
    assertThat(a.getPort()).isEqualTo(2375);
    assertThat(h.hostHeader()).isEqualTo("127.0.0.1:2375");
  }

  @Test
  void malformedValuesAreRefusedWithTheExpectedForm() {
    assertThatThrownBy(() -> new DockerHost("unix://relative.sock"))
        .hasMessageContaining("unix:///path/to/socket");
    assertThatThrownBy(() -> new DockerHost("npipe:////./pipe/docker_engine"))
        .hasMessageContaining("neither");
    assertThatThrownBy(() -> new DockerHost("tcp://nohostport"))
        .hasMessageContaining("tcp://host:port");
  }
}
