package io.execbox.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.execbox.store.SessionRow;
import io.execbox.store.Store;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/**
 * What the runtime refuses for good fails the session at the first try, with the runtime's reason,
 * and leaves no container — it is not retried until the deadline, holding a quota slot (issue 14).
 */
class PermanentRefusalIT {
  TestServer server = TestServer.shared();

  @Test
  void aFileUnderAnExistingRegularFileFailsTheSessionAfterOneCreate() throws Exception {
    Client c = Client.newAccount(server);
    long since = Instant.now().getEpochSecond() - 1;
    String id =
        c.create(
            "{\"image\":\""
                + TestServer.IMAGE
                + "\",\"command\":[\"true\"],\"files\":[{\"path\":\"/bin/sh/x\",\"content\":\"x\"}]}");
    JsonNode s = c.awaitStatus(id, Duration.ofSeconds(10), "failed");
    assertThat(s.get("status").asText()).isEqualTo("failed");
    assertThat(s.get("reason").asText()).contains("/bin/sh/x").contains("not a directory");
    // no Go structure dump of the runtime's request in the reason
    assertThat(s.get("reason").asText().length()).isLessThan(400);
    SessionRow row = server.bean(Store.class).sessions().findById(id).block();
    assertThat(row.createAttempts()).isZero();
    String container = "execbox-sess-" + id.substring("sess_".length());
    assertThat(events(container, "create", since)).isEqualTo(1);
    assertThat(events(container, "remove", since)).isEqualTo(1);
  }

  /** How many events of the kind the runtime recorded for the container since then. */
  private static int events(String container, String kind, long since)
      throws IOException, InterruptedException {
    String socket = System.getenv("DOCKER_HOST").replaceFirst("^unix://", "");
    String filters =
        "{\"type\":[\"container\"],\"event\":[\""
            + kind
            + "\"],\"container\":[\""
            + container
            + "\"]}";
    Process p =
        new ProcessBuilder(
                "curl",
                "-sf",
                "--unix-socket",
                socket,
                "-G",
                "http://d/v1.41/events",
                "--data-urlencode",
                "since=" + since,
                "--data-urlencode",
                "until=" + (Instant.now().getEpochSecond() + 1),
                "--data-urlencode",
                "filters=" + filters)
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor()).as(out).isZero();
    return (int) out.lines().filter(l -> !l.isBlank()).count();
  }
}
