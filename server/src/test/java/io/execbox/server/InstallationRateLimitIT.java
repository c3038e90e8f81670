package io.execbox.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The limits a tenant must not walk around (issue 14, finding 6): the per-key and per-account rate
 * limits hold for the installation, not per api replica (two replicas on one PostgreSQL, hammered
 * together, accept the limit within 10 %), and an account cannot make keys without end.
 */
class InstallationRateLimitIT {
  static final int PER_KEY = 40;
  static final int PER_ACCOUNT = 60;
  static final int MAX_KEYS = 3;

  static TestServer first;
  static TestServer second;

  @BeforeAll
  static void twoReplicasOfOneInstallation() {
    Map<String, Object> limits =
        Map.of(
            "execbox.rate-limit-per-minute", PER_KEY,
            "execbox.account-rate-limit-per-minute", PER_ACCOUNT,
            "execbox.max-keys-per-account", MAX_KEYS);
    first = TestServer.start(limits);
    Map<String, Object> api = new java.util.HashMap<>(limits);
    api.put("execbox.roles", "api");
    second = first.replica(api);
  }

  @AfterAll
  static void stop() {
    if (second != null) {
      second.close();
    }
    if (first != null) {
      first.close();
    }
  }

  /**
   * Sends {@code total} requests, spread over both replicas and over {@code keys}, from 8 threads
   * at once, and counts the accepted ones; every other answer must be the 429 problem.
   */
  static int hammer(List<String> keys, int total) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(8);
    AtomicInteger accepted = new AtomicInteger();
    List<Future<?>> all = new ArrayList<>();
    try {
      for (int i = 0; i < total; i++) {
        String base = (i % 2 == 0 ? first : second).baseUrl();
        String key = keys.get((i / 2) % keys.size());
        all.add(
            pool.submit(
                () -> {
                  Client.Response r = Client.raw(base, "GET", "/v1/account", null, key);
                  if (r.status() == 200) {
                    accepted.incrementAndGet();
                  } else {
                    r.problem(429);
                    assertThat(r.headers().firstValue("Retry-After")).isPresent();
                    assertThat(r.headers().firstValue("X-RateLimit-Remaining")).hasValue("0");
                  }
                }));
      }
      for (Future<?> f : all) {
        f.get();
      }
    } finally {
      pool.shutdown();
    }
    return accepted.get();
  }

  @Test
  void aKeysLimitHoldsAcrossReplicas() throws Exception {
    Client c = Client.newAccount(first);
    Client.awaitRateWindowWithRoom(Duration.ofSeconds(30));
    int accepted = hammer(List.of(c.key), 3 * PER_KEY);
    // one replica alone would have let PER_KEY through; two used to let twice as many
    assertThat(accepted).isBetween((int) (PER_KEY * 0.9), (int) (PER_KEY * 1.1));
  }

  @Test
  void anAccountsLimitHoldsForAllItsKeysAcrossReplicas() throws Exception {
    Client c = Client.newAccount(first);
    List<String> keys = new ArrayList<>(List.of(c.key));
    for (int i = 1; i < MAX_KEYS; i++) {
      Client.Response made = c.post("/v1/account/keys", "{\"name\":\"more\"}");
      assertThat(made.status()).as(made.text()).isEqualTo(201);
      keys.add(made.json().get("key").asText());
    }
    Client.awaitRateWindowWithRoom(Duration.ofSeconds(30));
    // three keys of 40 each would allow 120 a minute (30 each is asked); the account allows 60
    int accepted = hammer(keys, PER_ACCOUNT * 3 / 2);
    assertThat(accepted).isBetween((int) (PER_ACCOUNT * 0.9), (int) (PER_ACCOUNT * 1.1));
    Client.Response limited = Client.raw(second.baseUrl(), "GET", "/v1/account", null, keys.get(0));
    assertThat(limited.problem(429).get("detail").asText()).contains("account");
    assertThat(limited.headers().firstValue("X-RateLimit-Limit"))
        .hasValue(String.valueOf(PER_ACCOUNT));
  }

  @Test
  void theAccountAndItsLimitsShowTheInstallationsLimits() {
    Client c = Client.newAccount(second);
    Client.awaitRateWindowWithRoom(Duration.ofSeconds(10));
    var limits = c.get("/v1/account").json().get("limits");
    assertThat(limits.get("requestsPerMinute").asInt()).isEqualTo(PER_KEY);
    assertThat(limits.get("accountRequestsPerMinute").asInt()).isEqualTo(PER_ACCOUNT);
    assertThat(limits.get("maxKeys").asInt()).isEqualTo(MAX_KEYS);
  }

  @Test
  void anAccountCannotMakeMoreKeysThanTheCapUntilItRevokesOne() {
    Client c = Client.newAccount(first);
    Client.awaitRateWindowWithRoom(Duration.ofSeconds(10));
    List<String> ids = new ArrayList<>();
    for (int i = 1; i < MAX_KEYS; i++) {
      Client.Response made = c.post("/v1/account/keys", "{\"name\":\"k" + i + "\"}");
      assertThat(made.status()).as(made.text()).isEqualTo(201);
      ids.add(made.json().get("id").asText());
    }
    var refused = c.post("/v1/account/keys", "{\"name\":\"one too many\"}").problem(409);
    assertThat(refused.get("detail").asText())
        .contains(String.valueOf(MAX_KEYS))
        .contains("revoke");
    // the admin route adds keys to an existing account under the same cap
    Client.Response admin =
        Client.raw(
            first.baseUrl(),
            "POST",
            "/v1/admin/keys",
            "{\"name\":\"x\",\"accountId\":\"" + c.accountId + "\"}",
            TestServer.ADMIN_TOKEN);
    admin.problem(409);
    assertThat(c.get("/v1/account/keys").json().get("keys").size()).isEqualTo(MAX_KEYS);
    // a rotation replaces a key: it never needs room
    assertThat(c.post("/v1/account/keys/" + ids.get(0) + "/rotate", null).status()).isEqualTo(201);
    assertThat(c.delete("/v1/account/keys/" + ids.get(1)).status()).isEqualTo(200);
    assertThat(c.post("/v1/account/keys", "{\"name\":\"room again\"}").status()).isEqualTo(201);
  }
}
