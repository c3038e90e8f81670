package io.execbox.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Refusals made before a route runs — by the auth filter, by the router, by Netty, by the WebSocket
 * decoder — look like every other: a problem body, the rate-limit headers, an error frame (issue
 * 14).
 */
class EdgeRefusalsIT {
  TestServer server = TestServer.shared();
  Client c;

  @BeforeEach
  void account() {
    c = Client.newAccount(server);
  }

  @Test
  void a401CarriesTheRateLimitHeaders() {
    Client.Response r = Client.raw(server.baseUrl(), "GET", "/v1/sessions", null, "sk_nope");
    r.problem(401);
    assertThat(r.headers().firstValue("X-RateLimit-Limit")).isPresent();
    assertThat(r.headers().firstValue("X-RateLimit-Remaining")).isPresent();
    assertThat(r.headers().firstValue("X-RateLimit-Reset")).isPresent();
  }

  @Test
  void a405SaysWhichMethodsAreAllowedAndNothingOfTheFramework() {
    JsonNode p = Client.raw(server.baseUrl(), "PATCH", "/v1/sessions", "{}", c.key).problem(405);
    assertThat(p.get("detail").asText())
        .contains("GET")
        .contains("POST")
        .doesNotContain("org.")
        .doesNotContain("springframework")
        .doesNotContain("\"");
  }

  @Test
  void whatNettyRefusesIsAProblemToo() {
    String longUri =
        Client.rawHttp(
            server,
            "GET /v1/sessions?x="
                + "a".repeat(70_000)
                + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assertThat(longUri).startsWith("HTTP/1.1 414").contains("application/problem+json");
    assertThat(body(longUri)).contains("\"status\":414");
    String bigHeader =
        Client.rawHttp(
            server,
            "GET /health HTTP/1.1\r\nHost: x\r\nX-Big: "
                + "a".repeat(70_000)
                + "\r\nConnection: close\r\n\r\n");
    assertThat(bigHeader).startsWith("HTTP/1.1 431").contains("application/problem+json");
    assertThat(body(bigHeader)).contains("\"status\":431");
    String garbage = Client.rawHttp(server, "NOT HTTP AT ALL\r\n\r\n");
    assertThat(garbage).startsWith("HTTP/1.1 400").contains("application/problem+json");
    assertThat(body(garbage)).contains("\"status\":400");
  }

  @Test
  void aWebSocketMessageOverTheLimitGetsAnErrorFrameBeforeClose1009() throws Exception {
    String id = c.create(Client.sh("sleep 30"));
    Client.Attach a = c.attach(id);
    byte[] big = new byte[5 + (16 << 20) + 16];
    big[0] = 1;
    ByteBuffer.wrap(big, 1, 4).putInt(big.length - 5);
    try {
      a.ws.sendBinary(ByteBuffer.wrap(big), true).get(30, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      // the server may end the connection before the whole message is sent
    }
    assertThat(a.closed.get(30, TimeUnit.SECONDS)).isEqualTo(1009);
    synchronized (a) {
      assertThat(a.errors).as("an error frame before the close").isNotEmpty();
      assertThat(a.errors.get(a.errors.size() - 1)).contains("too large");
    }
    c.delete("/v1/sessions/" + id);
  }

  private static String body(String response) {
    int i = response.indexOf("\r\n\r\n");
    return i < 0 ? "" : response.substring(i + 4);
  }
}
