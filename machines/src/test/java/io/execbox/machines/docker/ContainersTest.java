package io.execbox.machines.docker;

import static org.assertj.core.api.Assertions.assertThat;

import io.execbox.machines.MachineException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ContainersTest {
  /** Podman's answer to a session file at /bin/sh/x (its copier dump as long as the real one). */
  private static final String PODMAN_NOT_A_DIRECTORY =
      "{\"cause\":\"x\",\"message\":\"error during bulk transfer for"
          + " copier.request{Request:\\\"PUT\\\", Root:\\\"/\\\","
          + " PutOptions:copier.PutOptions{"
          + "UIDMap:[]idtools.IDMap(nil), ".repeat(40)
          + "}}: copier: put: error"
          + " creating \\\"/bin/sh/x\\\": copier: put: error opening file \\\"/bin/sh/x\\\" for"
          + " writing: open /bin/sh/x: not a directory\",\"response\":500}";

  @Test
  void aFileUnderARegularFileIsAPermanentRefusalWithTheRuntimesReason() {
    MachineException e =
        Containers.failure(
            "write the session's files",
            new HttpResponse(
                500, Map.of(), PODMAN_NOT_A_DIRECTORY.getBytes(StandardCharsets.UTF_8)),
            true);
    assertThat(e.kind()).isEqualTo(MachineException.Kind.INVALID_SPEC);
    assertThat(e.kind().permanent()).isTrue();
    assertThat(e.getMessage())
        .startsWith("could not write the session's files: copier: put: error creating")
        .endsWith("open /bin/sh/x: not a directory")
        .doesNotContain("PutOptions");
  }

  @Test
  void theSameAnswerToARequestWithoutTheSessionsConfigurationIsRetried() {
    MachineException e =
        Containers.failure(
            "inspect the container",
            new HttpResponse(
                500, Map.of(), PODMAN_NOT_A_DIRECTORY.getBytes(StandardCharsets.UTF_8)),
            false);
    assertThat(e.kind()).isEqualTo(MachineException.Kind.RUNTIME);
  }
}
