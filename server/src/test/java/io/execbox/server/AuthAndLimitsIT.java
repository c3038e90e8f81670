package io.execbox.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Keys, the identical 401, rate limits and the atomic concurrency quota. */
class AuthAndLimitsIT {
  TestServer server = TestServer.shared();

  @Test
  void missingMalformedUnknownAndRevokedKeysGetTheSame401() {
    Client c = Client.newAccount(server);
    Client second =
        new Client(
            c.base, c.post("/v1/account/keys", "{\"name\":\"second\"}").json().get("key").asText());
    String keyId = c.get("/v1/account/keys").json().get("keys").get(0).get("id").asText();
    assertThat(c.delete("/v1/account/keys/" + keyId).status()).isEqualTo(200);
    List<Client.Response> denied =
        List.of(
            Client.raw(c.base, "GET", "/v1/sessions", null, null),
            Client.raw(c.base, "GET", "/v1/sessions", null, "not-a-key"),
            Client.raw(c.base, "GET", "/v1/sessions", null, "sk_" + "A".repeat(43)),
            Client.raw(c.base, "GET", "/v1/sessions", null, second.key));
    for (Client.Response r : denied) {
      assertThat(r.status()).isEqualTo(401);
      assertThat(r.headers().firstValue("Content-Type"))
          .hasValueSatisfying(v -> assertThat(v).startsWith("application/problem+json"));
      assertThat(r.text()).isEqualTo(denied.get(0).text());
    }
    assertThat(c.get("/v1/sessions").status()).isEqualTo(200);
  }

  @Test
  void aRefusedRequestLeavesItsKeepAliveConnectionUsable() {
    // a 401 answered before the request was fully read used to stall the next request on the
    // same connection (the JDK client reuses it)
    Client c = Client.newAccount(server);
    for (int i = 0; i < 30; i++) {
      assertThat(Client.raw(c.base, "GET", "/v1/sessions", null, null).status()).isEqualTo(401);
      assertThat(c.get("/v1/account").status()).isEqualTo(200);
    }
  }

  @Test
  void rotateReplacesTheKey() {
    Client c = Client.newAccount(server);
    Client.Response made = c.post("/v1/account/keys", "{\"name\":\"ci\"}");
    assertThat(made.status()).isEqualTo(201);
    String id = made.json().get("id").asText();
    Client old = new Client(c.base, made.json().get("key").asText());
    assertThat(old.get("/v1/account").status()).isEqualTo(200);
    Client.Response rotated = c.post("/v1/account/keys/" + id + "/rotate", null);
    assertThat(rotated.status()).isEqualTo(201);
    assertThat(old.get("/v1/account").status()).isEqualTo(401);
    assertThat(new Client(c.base, rotated.json().get("key").asText()).get("/v1/account").status())
        .isEqualTo(200);
    JsonNode keys = c.get("/v1/account/keys").json().get("keys");
    assertThat(keys.toString()).doesNotContain(rotated.json().get("key").asText());
  }

  @Test
  void adminRoutesNeedTheAdminToken() {
    assertThat(
            Client.raw(server.baseUrl(), "POST", "/v1/admin/keys", "{\"name\":\"x\"}", "wrong")
                .status())
        .isEqualTo(401);
    assertThat(
            Client.raw(server.baseUrl(), "POST", "/v1/admin/keys", "{}", TestServer.ADMIN_TOKEN)
                .status())
        .isEqualTo(422);
  }

  @Test
  void everyAuthenticatedResponseCarriesRateLimitHeadersAndThe101stRequestIs429() {
    Client c = Client.newAccount(server);
    Client.awaitRateWindowWithRoom(Duration.ofSeconds(30));
    Client.Response first = c.get("/v1/sessions");
    assertThat(first.headers().firstValue("X-RateLimit-Limit")).hasValue("100");
    assertThat(first.headers().firstValue("X-RateLimit-Remaining")).hasValue("99");
    assertThat(first.headers().firstValue("X-RateLimit-Reset")).isPresent();
    assertThat(
            c.get("/v1/sessions/sess_00000000000000000000dead")
                .headers()
                .firstValue("X-RateLimit-Remaining"))
        .hasValue("98");
    int last = 0;
    for (int i = 0; i < 99; i++) {
      last = c.get("/v1/account").status();
      if (last == 429) {
        break;
      }
    }
    assertThat(last).isEqualTo(429);
    Client.Response limited = c.get("/v1/account");
    assertThat(limited.status()).isEqualTo(429);
    assertThat(limited.headers().firstValue("Retry-After")).isPresent();
    assertThat(limited.json().get("status").asInt()).isEqualTo(429);
  }

  @Test
  void oneHundredConcurrentCreatesNeverExceedTheQuotaOfTen() throws Exception {
    Client c = Client.newAccount(server);
    Client cleaner = c.sibling();
    var pool = Executors.newFixedThreadPool(50);
    AtomicInteger created = new AtomicInteger();
    AtomicInteger quota = new AtomicInteger();
    List<String> ids = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
    CompletableFuture<?>[] all = new CompletableFuture<?>[100];
    for (int i = 0; i < 100; i++) {
      all[i] =
          CompletableFuture.runAsync(
              () -> {
                Client.Response r = c.post("/v1/sessions", Client.sh("sleep 30"));
                if (r.status() == 201) {
                  created.incrementAndGet();
                  ids.add(r.json().get("id").asText());
                } else {
                  assertThat(r.status()).isEqualTo(429);
                  assertThat(r.json().get("detail").asText()).contains("concurrent session limit");
                  quota.incrementAndGet();
                }
              },
              pool);
    }
    CompletableFuture.allOf(all).get();
    pool.shutdown();
    assertThat(created.get()).isEqualTo(10);
    assertThat(quota.get()).isEqualTo(90);
    assertThat(cleaner.get("/v1/account/usage").json().get("activeSessions").asInt()).isEqualTo(10);
    for (String id : ids) {
      cleaner.delete("/v1/sessions/" + id);
    }
    // a freed slot can be used again
    cleaner.awaitStatus(ids.get(0), Duration.ofSeconds(10), "killed");
    assertThat(cleaner.post("/v1/sessions", Client.sh("true")).status()).isEqualTo(201);
  }
}
