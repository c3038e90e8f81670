package io.execbox.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The session contract on the docker backend, and what only this backend (or only the API, which
 * needs no second run) shows: network none and exposed ports, listing, isolation, CPU usage,
 * idempotency.
 */
class SessionsIT extends SessionsContract {
  @Override
  TestServer server() {
    return TestServer.shared();
  }

  /** Podman 4.3 here answers exit 137 with State.OOMKilled false; Docker's engine would say. */
  @Override
  boolean runtimeReportsOomKills() {
    return false;
  }

  @Test
  void networkNoneHasOnlyLoopback() {
    String spec =
        "{\"image\":\""
            + TestServer.IMAGE
            + "\",\"command\":[\"ls\",\"/sys/class/net\"],\"network\":\"none\"}";
    assertThat(run(spec).out()).isEqualTo("lo\n");
  }

  @Test
  void exposedPortIsPublishedOnLoopback() throws Exception {
    String spec =
        "{\"image\":\""
            + TestServer.IMAGE
            + "\",\"command\":[\"sh\",\"-c\",\"echo -e 'HTTP/1.0 200 OK\\\\r\\\\n\\\\r\\\\nexposed-ok' | nc -l -p 8080\"],"
            + "\"network\":\"exposed\",\"ports\":[{\"container\":8080}]}";
    String id = c.create(spec);
    JsonNode s = c.awaitStatus(id, Duration.ofSeconds(30), "running");
    JsonNode port = s.get("network").get("ports").get("8080");
    assertThat(s.get("network").get("mode").asText()).isEqualTo("exposed");
    assertThat(s.get("network").get("host").asText()).isEqualTo("127.0.0.1");
    String url = port.get("url").asText();
    assertThat(url).startsWith("http://127.0.0.1:");
    String body = null;
    for (int i = 0; i < 40 && body == null; i++) {
      try (java.net.Socket sock = new java.net.Socket("127.0.0.1", port.get("hostPort").asInt())) {
        sock.setSoTimeout(5000);
        sock.getOutputStream().write("GET / HTTP/1.0\r\n\r\n".getBytes());
        body = new String(sock.getInputStream().readAllBytes());
        if (!body.contains("exposed-ok")) {
          body = null;
          Client.sleep(250);
        }
      } catch (java.io.IOException e) {
        Client.sleep(250);
      }
    }
    assertThat(body).contains("exposed-ok");
    c.delete("/v1/sessions/" + id);
  }

  @Test
  void getAndListAreIsolatedBetweenAccounts() {
    Client other = Client.newAccount(server);
    String mine = c.create(Client.sh("true"));
    String theirs = other.create(Client.sh("true"));
    assertThat(c.get("/v1/sessions/" + theirs).status()).isEqualTo(404);
    assertThat(other.get("/v1/sessions/" + mine).status()).isEqualTo(404);
    assertThat(c.post("/v1/sessions/" + theirs + "/stop", null).status()).isEqualTo(404);
    assertThat(c.delete("/v1/sessions/" + theirs).status()).isEqualTo(404);
    assertThat(c.attach(theirs).handshakeStatus).isEqualTo(404);
    JsonNode list = c.get("/v1/sessions").json();
    assertThat(list.get("sessions").findValuesAsText("id")).containsExactly(mine);
  }

  @Test
  void listIsNewestFirstFiltersByStatusAndPages() {
    String a = c.create(Client.sh("true"));
    String b = c.create(Client.sh("true"));
    String d = c.create(Client.sh("sleep 30"));
    c.awaitStatus(a, Duration.ofSeconds(30), "stopped");
    c.awaitStatus(b, Duration.ofSeconds(30), "stopped");
    c.awaitStatus(d, Duration.ofSeconds(30), "running");
    JsonNode page1 = c.get("/v1/sessions?limit=2").json();
    assertThat(page1.get("sessions").findValuesAsText("id")).containsExactly(d, b);
    JsonNode page2 =
        c.get("/v1/sessions?limit=2&cursor=" + page1.get("nextCursor").asText()).json();
    assertThat(page2.get("sessions").findValuesAsText("id")).containsExactly(a);
    assertThat(page2.has("nextCursor")).isFalse();
    assertThat(c.get("/v1/sessions?status=running").json().get("sessions").findValuesAsText("id"))
        .containsExactly(d);
    assertThat(c.get("/v1/sessions?status=bogus").status()).isEqualTo(422);
    assertThat(c.get("/v1/sessions?limit=0").status()).isEqualTo(422);
    assertThat(c.get("/v1/sessions?cursor=zzz").status()).isEqualTo(422);
    c.delete("/v1/sessions/" + d);
  }

  @Test
  void usageRecordsCpuSecondsSampledWhileTheCommandRuns() {
    String id = c.create(Client.sh("i=0; while [ $i -lt 600000 ]; do i=$((i+1)); done; sleep 2"));
    c.attach(id).awaitClose(Duration.ofSeconds(60));
    JsonNode u = null;
    for (int i = 0; i < 40; i++) {
      u = c.get("/v1/account/usage").json();
      if (u.get("cpuSeconds").asDouble() > 0) {
        break;
      }
      Client.sleep(250);
    }
    assertThat(u.get("cpuSeconds").asDouble()).isGreaterThan(0.1);
  }

  @Test
  void idempotencyKeyReturnsTheFirstResult() {
    var h =
        java.net.http.HttpRequest.newBuilder(java.net.URI.create(c.base + "/v1/sessions"))
            .header("Authorization", "Bearer " + c.key)
            .header("Content-Type", "application/json")
            .header("Idempotency-Key", "retry-1")
            .POST(java.net.http.HttpRequest.BodyPublishers.ofString(Client.sh("true")))
            .build();
    try {
      var r1 = Client.HTTP.send(h, java.net.http.HttpResponse.BodyHandlers.ofString());
      var r2 = Client.HTTP.send(h, java.net.http.HttpResponse.BodyHandlers.ofString());
      assertThat(r1.statusCode()).isEqualTo(201);
      assertThat(r2.statusCode()).isEqualTo(201);
      assertThat(Client.JSON.readTree(r2.body()).get("id"))
          .isEqualTo(Client.JSON.readTree(r1.body()).get("id"));
      assertThat(c.get("/v1/sessions").json().get("sessions").size()).isEqualTo(1);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }
}
