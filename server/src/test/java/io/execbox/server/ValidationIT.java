package io.execbox.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Bad input gets a clear 4xx problem, never a 5xx, and never a half-created session. */
class ValidationIT {
  TestServer server = TestServer.shared();
  Client c;

  @BeforeEach
  void account() {
    c = Client.newAccount(server);
  }

  private JsonNode problem(Client.Response r, int status) {
    JsonNode p = r.problem(status);
    assertThat(p.get("title").asText()).isNotBlank();
    return p;
  }

  @Test
  void missingImageIs422NamingTheField() {
    JsonNode p = problem(c.post("/v1/sessions", "{\"command\":[\"true\"]}"), 422);
    assertThat(p.get("errors").get(0).get("location").asText()).isEqualTo("body.image");
  }

  @Test
  void outOfRangeResourcesListEveryBadField() {
    JsonNode p =
        problem(
            c.post(
                "/v1/sessions",
                "{\"image\":\"x\",\"resources\":{\"memoryMB\":1,\"cpuMillis\":99999,\"timeoutMs\":\"soon\"}}"),
            422);
    assertThat(p.get("errors").findValuesAsText("location"))
        .containsExactlyInAnyOrder(
            "body.resources.cpuMillis", "body.resources.memoryMB", "body.resources.timeoutMs");
    assertThat(p.get("errors").get(0).has("message")).isTrue();
  }

  @Test
  void malformedJsonIs400() {
    problem(c.post("/v1/sessions", "{\"image\": "), 400);
    problem(c.post("/v1/sessions", ""), 400);
    problem(c.post("/v1/sessions", "[1,2]"), 422);
  }

  @Test
  void aTwoMegabyteBodyIs413() {
    String big = "{\"image\":\"x\",\"env\":{\"A\":\"" + "a".repeat(2 * 1024 * 1024) + "\"}}";
    problem(c.post("/v1/sessions", big), 413);
  }

  @Test
  void otherBadFieldsAre422() {
    problem(c.post("/v1/sessions", "{\"image\":\"x\",\"network\":\"lan\"}"), 422);
    problem(c.post("/v1/sessions", "{\"image\":\"x\",\"command\":\"echo hi\"}"), 422);
    problem(c.post("/v1/sessions", "{\"image\":\"x\",\"workDir\":\"relative\"}"), 422);
    problem(
        c.post(
            "/v1/sessions",
            "{\"image\":\"x\",\"files\":[{\"path\":\"/a/../b\",\"content\":\"x\"}]}"),
        422);
    problem(
        c.post(
            "/v1/sessions",
            "{\"image\":\"x\",\"files\":[{\"path\":\"/a\",\"content\":\"!!\",\"encoding\":\"base64\"}]}"),
        422);
    // a control character in a path (the Session CRD's pattern refuses a newline too)
    JsonNode newline =
        problem(
            c.post(
                "/v1/sessions",
                "{\"image\":\"x\",\"files\":[{\"path\":\"/a\\nb\",\"content\":\"x\"}]}"),
            422);
    assertThat(newline.get("errors").get(0).get("location").asText())
        .isEqualTo("body.files[0].path");
    problem(c.post("/v1/sessions", "{\"image\":\"x\",\"network\":\"exposed\"}"), 422);
    problem(c.post("/v1/sessions", "{\"image\":\"x\",\"ports\":[{\"container\":80}]}"), 422);
    JsonNode setup =
        problem(c.post("/v1/sessions", "{\"image\":\"x\",\"setup\":[\"pip install x\"]}"), 422);
    assertThat(setup.get("errors").get(0).get("message").asText()).contains("not supported");
    problem(c.post("/v1/sessions", "{\"image\":\"x\",\"env\":{\"A=B\":\"x\"}}"), 422);
    // what a Pod could not hold twice (nor a container, sensibly): the same port or path
    JsonNode twicePort =
        problem(
            c.post(
                "/v1/sessions",
                "{\"image\":\"x\",\"network\":\"exposed\",\"ports\":[{\"container\":80},"
                    + "{\"container\":80,\"protocol\":\"tcp\"},{\"container\":80,\"protocol\":\"udp\"}]}"),
            422);
    assertThat(twicePort.get("errors")).hasSize(1);
    assertThat(twicePort.get("errors").get(0).get("location").asText()).isEqualTo("body.ports[1]");
    JsonNode twicePath =
        problem(
            c.post(
                "/v1/sessions",
                "{\"image\":\"x\",\"files\":[{\"path\":\"/a\",\"content\":\"1\"},"
                    + "{\"path\":\"/a\",\"content\":\"2\"}]}"),
            422);
    assertThat(twicePath.get("errors").get(0).get("location").asText())
        .isEqualTo("body.files[1].path");
  }

  @Test
  void nothingWasCreatedByBadRequests() {
    c.post("/v1/sessions", "{\"command\":[\"true\"]}");
    c.post("/v1/sessions", "{bad");
    assertThat(c.get("/v1/sessions").json().get("sessions").size()).isZero();
  }

  @Test
  void unknownRoutesAndIdsAre404Problems() {
    problem(c.get("/v1/sessions/sess_00000000000000000000beef"), 404);
    problem(c.get("/v1/sessions/not-an-id"), 404);
    problem(c.get("/v1/nothing-here"), 404);
    problem(c.delete("/v1/sessions/sess_00000000000000000000beef"), 404);
  }
}
