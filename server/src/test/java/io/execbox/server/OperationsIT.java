package io.execbox.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.execbox.crds.SessionIds;
import io.execbox.crds.SessionSpec;
import io.execbox.machines.MachineBackend;
import io.execbox.machines.MachineSpec;
import io.execbox.machines.MachineState;
import io.execbox.operator.standalone.OrphanSweeper;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Health, OpenAPI, metrics and the orphan sweep. */
class OperationsIT {
  TestServer server = TestServer.shared();

  @Test
  void healthChecksDatabaseAndBackend() {
    Client.Response r = Client.raw(server.baseUrl(), "GET", "/health", null, null);
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.json().get("status").asText()).isEqualTo("UP");
    assertThat(r.json().get("database").asText()).isEqualTo("UP");
    assertThat(r.json().get("backend").get("status").asText()).isEqualTo("UP");
  }

  @Test
  void openApiAndSwaggerUiAreServedWithoutAKey() {
    Client.Response json = Client.raw(server.baseUrl(), "GET", "/openapi.json", null, null);
    assertThat(json.status()).isEqualTo(200);
    JsonNode doc = json.json();
    assertThat(doc.get("paths").has("/v1/sessions")).isTrue();
    assertThat(doc.get("paths").has("/v1/sessions/{id}")).isTrue();
    Client.Response yaml = Client.raw(server.baseUrl(), "GET", "/openapi.yaml", null, null);
    assertThat(yaml.status()).isEqualTo(200);
    assertThat(yaml.text()).contains("openapi:");
    Client.Response ui = Client.raw(server.baseUrl(), "GET", "/swagger-ui/index.html", null, null);
    assertThat(ui.status()).isEqualTo(200);
  }

  @Test
  void prometheusMetricsShowTheSessionMetersOnTheManagementPort() {
    Client c = Client.newAccount(server);
    String id = c.create(Client.sh("echo m"));
    Client.Attach a = c.attach(id);
    a.awaitClose(Duration.ofSeconds(30));
    Client.Response m =
        Client.raw(server.managementUrl(), "GET", "/actuator/prometheus", null, null);
    assertThat(m.status()).isEqualTo(200);
    assertThat(m.text())
        .contains("execbox_session_start_seconds_bucket")
        .contains("execbox_sessions_active")
        .contains("execbox_attach_clients");
    Client.Response probe =
        Client.raw(server.managementUrl(), "GET", "/actuator/health/readiness", null, null);
    assertThat(probe.status()).isEqualTo(200);
  }

  /**
   * Nothing of actuator answers on the API's port, with or without a key (issue 14, finding 7):
   * metrics and health details are for the operator's network, on the management port.
   */
  @Test
  void actuatorDoesNotAnswerOnTheApiPort() {
    Client c = Client.newAccount(server);
    for (String path :
        List.of(
            "/actuator",
            "/actuator/prometheus",
            "/actuator/health",
            "/actuator/health/readiness",
            "/actuator/info")) {
      for (String key : java.util.Arrays.asList(null, c.key)) {
        Client.Response r = Client.raw(server.baseUrl(), "GET", path, null, key);
        r.problem(404);
        assertThat(r.text()).doesNotContain("execbox_").doesNotContain("\"components\"");
      }
    }
    // the public health route the API documents stays where it was
    assertThat(Client.raw(server.baseUrl(), "GET", "/health", null, null).status()).isEqualTo(200);
  }

  @Test
  void theSweepDestroysLabelledMachinesOfUnknownSessions() {
    MachineBackend backend = server.bean(MachineBackend.class);
    String orphan = SessionIds.newId();
    SessionSpec spec = new SessionSpec();
    spec.setImage(TestServer.IMAGE);
    spec.setCommand(List.of("sleep", "60"));
    var ref =
        backend.create(
            new MachineSpec(
                orphan, "acct_nobody", spec, 500, 128, Instant.now().plusSeconds(60), null));
    backend.start(ref);
    assertThat(backend.observe(orphan).state()).isEqualTo(MachineState.RUNNING);
    Integer destroyed = server.bean(OrphanSweeper.class).sweep().block(Duration.ofSeconds(30));
    assertThat(destroyed).isGreaterThanOrEqualTo(1);
    assertThat(backend.observe(orphan).state()).isEqualTo(MachineState.ABSENT);
  }
}
