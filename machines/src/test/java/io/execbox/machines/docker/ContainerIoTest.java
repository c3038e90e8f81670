package io.execbox.machines.docker;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class ContainerIoTest {
  /** Podman's /version took 1-1.3 s under load, and the first exit frame waited for it. */
  @Test
  void podmanIsToldFromThePingsHeaderOnceWithoutAskingForTheVersion() throws Exception {
    for (boolean podman : List.of(true, false)) {
      List<String> asked = new CopyOnWriteArrayList<>();
      try (FakeEngine engine =
          new FakeEngine(
              r -> {
                asked.add(r.requestLine());
                r.answer(
                    "HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\n"
                        + (podman ? "Libpod-Api-Version: 4.3.1\r\n" : "")
                        + "Content-Length: 2\r\n\r\nOK");
              })) {
        DockerClient client = new DockerClient(engine.host());
        ContainerIo io = new ContainerIo(client, new Containers(client));
        assertThat(io.isPodman()).isEqualTo(podman);
        assertThat(io.isPodman()).isEqualTo(podman);
        assertThat(asked).containsExactly("GET /v1.41/_ping HTTP/1.1");
        assertThat(engine.failures).isEmpty();
      }
    }
  }
}
