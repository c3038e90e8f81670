package io.execbox.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Input that is the client's fault gets a 4xx problem naming what is wrong — never a 503 that
 * invites a retry, never a silent repair ({@code �}), never Netty's empty answer (issue 14).
 */
class HardInputIT {
  TestServer server = TestServer.shared();
  Client c;

  @BeforeEach
  void account() {
    c = Client.newAccount(server);
  }

  /** The client's error: a problem, and nothing that invites a retry. */
  private static JsonNode problem(Client.Response r, int status) {
    JsonNode p = r.problem(status);
    assertThat(r.headers().firstValue("Retry-After")).isEmpty();
    return p;
  }

  private static String location(JsonNode p) {
    return p.get("errors").get(0).get("location").asText();
  }

  @Test
  void aNulInAnyStoredStringIs422NamingTheField() {
    String nul = "\\u0000";
    assertThat(location(problem(c.post("/v1/sessions", "{\"image\":\"x" + nul + "\"}"), 422)))
        .isEqualTo("body.image");
    assertThat(
            location(
                problem(
                    c.post(
                        "/v1/sessions",
                        "{\"image\":\"x\",\"files\":[{\"path\":\"/a\",\"content\":\"a"
                            + nul
                            + "b\"}]}"),
                    422)))
        .isEqualTo("body.files[0].content");
    assertThat(
            location(
                problem(
                    c.post("/v1/sessions", "{\"image\":\"x\",\"env\":{\"A\":\"" + nul + "\"}}"),
                    422)))
        .isEqualTo("body.env.A");
    assertThat(
            location(
                problem(
                    c.post(
                        "/v1/sessions", "{\"image\":\"x\",\"command\":[\"sh\",\"" + nul + "\"]}"),
                    422)))
        .isEqualTo("body.command[1]");
    assertThat(
            location(
                problem(
                    c.post("/v1/sessions", "{\"image\":\"x\",\"workDir\":\"/a" + nul + "\"}"),
                    422)))
        .isEqualTo("body.workDir");
    assertThat(location(problem(c.post("/v1/account/keys", "{\"name\":\"k" + nul + "\"}"), 422)))
        .isEqualTo("body.name");
    assertThat(
            location(
                problem(
                    Client.raw(
                        server.baseUrl(),
                        "POST",
                        "/v1/admin/keys",
                        "{\"name\":\"k" + nul + "\"}",
                        TestServer.ADMIN_TOKEN),
                    422)))
        .isEqualTo("body.name");
    // a header cannot carry a NUL through the JDK's client: the raw bytes go by socket. Netty
    // refuses the header itself (400); the API's own check is behind it.
    String body = "{\"image\":\"x\"}";
    String reply =
        Client.rawHttp(
            server,
            "POST /v1/sessions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                + c.key
                + "\r\nContent-Type: application/json\r\nIdempotency-Key: a\0b\r\nContent-Length: "
                + body.length()
                + "\r\nConnection: close\r\n\r\n"
                + body);
    assertThat(reply).startsWith("HTTP/1.1 400").contains("application/problem+json");
    assertThat(c.get("/v1/sessions").json().get("sessions").size()).isZero();
    // a key id in a path that no key could have
    problem(c.delete("/v1/account/keys/key_%00"), 404);
    problem(c.post("/v1/account/keys/key_%00/rotate", ""), 404);
  }

  @Test
  void aCursorOutsideTheTimesOfSessionsIs422() {
    String absurd =
        Base64.getUrlEncoder()
            .withoutPadding()
            .encodeToString(
                "30000000000000:0:sess_00000000000000000000beef".getBytes(StandardCharsets.UTF_8));
    assertThat(location(problem(c.get("/v1/sessions?cursor=" + absurd), 422)))
        .isEqualTo("query.cursor");
    String negativeNanos =
        Base64.getUrlEncoder()
            .withoutPadding()
            .encodeToString(
                "1700000000:-5:sess_00000000000000000000beef".getBytes(StandardCharsets.UTF_8));
    problem(c.get("/v1/sessions?cursor=" + negativeNanos), 422);
  }

  @Test
  void invalidUtf8AndLoneSurrogatesAre400() {
    byte[] prefix = "{\"image\":\"x\",\"env\":{\"A\":\"".getBytes(StandardCharsets.UTF_8);
    byte[] suffix = "\"}}".getBytes(StandardCharsets.UTF_8);
    // a byte that starts no UTF-8 sequence, and a surrogate encoded as UTF-8 (CESU)
    for (byte[] bad : new byte[][] {{(byte) 0xff}, {(byte) 0xed, (byte) 0xa0, (byte) 0x80}}) {
      ByteArrayOutputStream b = new ByteArrayOutputStream();
      b.writeBytes(prefix);
      b.writeBytes(bad);
      b.writeBytes(suffix);
      problem(postBytes("/v1/sessions", b.toByteArray()), 400);
      b.reset();
      b.writeBytes("{\"name\":\"".getBytes(StandardCharsets.UTF_8));
      b.writeBytes(bad);
      b.writeBytes("\"}".getBytes(StandardCharsets.UTF_8));
      problem(postBytes("/v1/account/keys", b.toByteArray()), 400);
    }
    // a lone surrogate written as a JSON escape
    JsonNode p =
        problem(c.post("/v1/sessions", "{\"image\":\"x\",\"env\":{\"A\":\"\\ud800\"}}"), 400);
    assertThat(p.get("detail").asText()).contains("body.env.A");
    problem(c.post("/v1/account/keys", "{\"name\":\"\\udc00x\"}"), 400);
    assertThat(c.get("/v1/sessions").json().get("sessions").size()).isZero();
    assertThat(c.get("/v1/account/keys").json().get("keys").size()).isOne();
  }

  @Test
  void anythingAfterTheJsonObjectIs400() {
    problem(c.post("/v1/sessions", "{\"image\":\"x\"}}}}"), 400);
    problem(c.post("/v1/sessions", "{\"image\":\"x\"} {\"image\":\"y\"}"), 400);
    problem(c.post("/v1/account/keys", "{\"name\":\"a\"}}"), 400);
    problem(
        Client.raw(
            server.baseUrl(),
            "POST",
            "/v1/admin/keys",
            "{\"name\":\"a\"}x",
            TestServer.ADMIN_TOKEN),
        400);
    assertThat(c.get("/v1/sessions").json().get("sessions").size()).isZero();
    // white space after the object is fine
    assertThat(c.post("/v1/account/keys", "{\"name\":\"a\"}\n ").status()).isEqualTo(201);
  }

  @Test
  void whatNoRuntimeCouldRunIs422UpFront() {
    assertThat(
            location(
                problem(c.post("/v1/sessions", "{\"image\":\"" + "a".repeat(256) + "\"}"), 422)))
        .isEqualTo("body.image");
    for (String image : new String[] {"upper/Case", "a//b", "x:", "x@sha256:12", "-x", "a:b:c"}) {
      problem(c.post("/v1/sessions", "{\"image\":\"" + image + "\"}"), 422);
    }
    for (String image :
        new String[] {
          "x",
          "python:3.12",
          "localhost:5000/a/b-c__d.e:v1.0",
          "ghcr.io/o/r@sha256:" + "a".repeat(64),
          "a".repeat(200) + ":" + "t".repeat(128)
        }) {
      assertThat(
              c.post("/v1/sessions", "{\"image\":\"" + image + "\",\"resources\":{\"memoryMB\":1}}")
                  .json()
                  .get("errors")
                  .findValuesAsText("location"))
          .as(image)
          .containsExactly("body.resources.memoryMB");
    }
    assertThat(
            location(
                problem(
                    c.post(
                        "/v1/sessions",
                        "{\"image\":\"x\",\"workDir\":\"/" + "a/".repeat(2500) + "\"}"),
                    422)))
        .isEqualTo("body.workDir");
    assertThat(
            location(
                problem(
                    c.post(
                        "/v1/sessions",
                        "{\"image\":\"x\",\"workDir\":\"/" + "a".repeat(256) + "\"}"),
                    422)))
        .isEqualTo("body.workDir");
    assertThat(
            location(
                problem(
                    c.post(
                        "/v1/sessions",
                        "{\"image\":\"x\",\"files\":[{\"path\":\"/"
                            + "d/".repeat(2100)
                            + "f\",\"content\":\"\"}]}"),
                    422)))
        .isEqualTo("body.files[0].path");
    assertThat(
            location(
                problem(
                    c.post(
                        "/v1/sessions",
                        "{\"image\":\"x\",\"command\":[\"echo\",\"" + "a".repeat(140_000) + "\"]}"),
                    422)))
        .isEqualTo("body.command[1]");
    assertThat(
            location(
                problem(
                    c.post(
                        "/v1/sessions",
                        "{\"image\":\"x\",\"env\":{\"A\":\"" + "a".repeat(140_000) + "\"}}"),
                    422)))
        .isEqualTo("body.env.A");
    assertThat(c.get("/v1/sessions").json().get("sessions").size()).isZero();
  }

  private Client.Response postBytes(String path, byte[] body) {
    try {
      HttpResponse<String> r =
          Client.HTTP.send(
              HttpRequest.newBuilder(URI.create(server.baseUrl() + path))
                  .timeout(Duration.ofSeconds(30))
                  .header("Authorization", "Bearer " + c.key)
                  .header("Content-Type", "application/json")
                  .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      return new Client.Response(r.statusCode(), r.headers(), r.body());
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }
}
