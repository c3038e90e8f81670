package io.execbox.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.execbox.machines.MachineBackend;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Issue 14: no client may hold a thread that others need. Clients attached to a session whose
 * command never reads its stdin each send a mebibyte of stdin and hold on; the stdin of that
 * session is stuck for as long as it runs, and nothing else may be: the health check, a new session
 * and another session's deadline keep their pace. On a server of its own, so that the stuck session
 * cannot slow other test classes.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class StdinCapacityIT {
  private static final Logger log = LoggerFactory.getLogger(StdinCapacityIT.class);
  private static final int CLIENTS = 24;

  private static TestServer server;

  @BeforeAll
  static void start() {
    server = TestServer.start(Map.of("execbox.rate-limit-per-minute", 10_000));
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.close();
    }
  }

  @Test
  void clientsOfASessionWhoseStdinIsFullBlockNothingElse() throws Exception {
    Client c = Client.newAccount(server);
    Client other = Client.newAccount(server);
    String stuck = c.create(Client.sh("while :; do sleep 1; done"));
    List<Client.Attach> attaches = new ArrayList<>();
    try {
      c.awaitStatus(stuck, Duration.ofSeconds(20), "running");
      List<CompletableFuture<?>> sent = new ArrayList<>();
      for (int i = 0; i < CLIENTS; i++) {
        Client.Attach a = c.attach(stuck);
        attaches.add(a);
        ByteBuffer f = ByteBuffer.allocate(5 + (1 << 20));
        f.put((byte) 1).putInt(1 << 20).position(f.capacity()).flip();
        sent.add(a.ws.sendBinary(f, true));
      }
      try {
        CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);
      } catch (java.util.concurrent.TimeoutException e) {
        log.info("not every client's stdin frame was taken within 10 s");
      }
      Client.sleep(2000); // let whatever blocks block

      long t0 = System.nanoTime();
      Client.Response health = Client.raw(server.baseUrl(), "GET", "/health", null, null);
      Duration healthTook = Duration.ofNanos(System.nanoTime() - t0);

      Instant before = Instant.now();
      String deadline =
          other.create(
              "{\"image\":\""
                  + TestServer.IMAGE
                  + "\",\"command\":[\"sleep\",\"60\"],\"resources\":{\"timeoutMs\":3000}}");
      long t1 = System.nanoTime();
      String echo = other.create(Client.sh("echo hi"));
      Client.Attach echoed = other.attach(echo);
      boolean echoClosed = closes(echoed, Duration.ofSeconds(10));
      Duration echoTook = Duration.ofNanos(System.nanoTime() - t1);

      JsonNode killed = awaitEnded(other, deadline, Duration.ofSeconds(12));
      Duration overDeadline =
          killed.hasNonNull("endedAt")
              ? Duration.between(
                  Instant.parse(killed.get("createdAt").asText()).plusMillis(3000),
                  Instant.parse(killed.get("endedAt").asText()))
              : Duration.between(before.plusMillis(3000), Instant.now());

      log.info(
          "with {} clients' stdin stuck: /health {} in {} ms; `echo hi` {} in {} ms with {}; a 3 s"
              + " deadline {} {} ms after it",
          CLIENTS,
          health.status(),
          healthTook.toMillis(),
          echoClosed ? "done" : "not done",
          echoTook.toMillis(),
          Client.quote(echoed.out()),
          killed.get("status").asText(),
          overDeadline.toMillis());
      SoftAssertions soft = new SoftAssertions();
      soft.assertThat(health.status()).as("/health status").isEqualTo(200);
      soft.assertThat(healthTook).as("/health took").isLessThan(Duration.ofSeconds(1));
      soft.assertThat(echoClosed).as("echo hi finished").isTrue();
      soft.assertThat(echoed.out()).as("echo hi output").isEqualTo("hi\n");
      soft.assertThat(echoTook).as("echo hi took").isLessThan(Duration.ofSeconds(8));
      soft.assertThat(killed.get("status").asText()).as("deadline session").isEqualTo("killed");
      soft.assertThat(overDeadline)
          .as("killed after its deadline")
          .isLessThan(Duration.ofSeconds(2));
      // the stuck session's clients are all still attached, waiting on it alone
      soft.assertThat(attaches).allSatisfy(a -> assertThat(a.closed).isNotDone());
      soft.assertAll();
    } finally {
      attaches.forEach(a -> a.ws.abort());
      // directly: the server's own capacity is what this test doubts
      server.bean(MachineBackend.class).destroy(stuck);
    }
  }

  private static boolean closes(Client.Attach a, Duration timeout) {
    try {
      a.closed.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      return true;
    } catch (Exception e) {
      return false;
    }
  }

  /** The session once it has ended, or as it is when {@code timeout} has passed. */
  private static JsonNode awaitEnded(Client c, String id, Duration timeout) {
    long end = System.nanoTime() + timeout.toNanos();
    JsonNode s;
    do {
      s = c.get("/v1/sessions/" + id).json();
      if (s.hasNonNull("endedAt")) {
        return s;
      }
      Client.sleep(100);
    } while (System.nanoTime() < end);
    return s;
  }
}
