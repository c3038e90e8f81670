package io.execbox.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.scheduler.Schedulers;

class SessionRepositoryIT {
  private static Store store;

  @BeforeAll
  static void start() {
    store = new Store(TestDatabase.migratedDatabase(), 40);
  }

  @AfterAll
  static void stop() {
    store.close();
  }

  private static NewSession session(String account, int n) {
    Instant now = Instant.now();
    return new NewSession(
        String.format("sess_%024x", n),
        account,
        "{\"image\":\"x\"}",
        "x",
        "docker",
        null,
        now,
        now.plusSeconds(60));
  }

  @Test
  void quotaHoldsUnderOneHundredConcurrentCreates() {
    store.accounts().createAccount("acct_race", "race", 10).block();
    AtomicInteger created = new AtomicInteger();
    AtomicInteger refused = new AtomicInteger();
    Flux.range(0, 100)
        .parallel(32)
        .runOn(Schedulers.boundedElastic())
        .flatMap(i -> store.sessions().create(session("acct_race", 1000 + i)))
        .doOnNext(
            o -> {
              if (o instanceof CreateOutcome.Created) {
                created.incrementAndGet();
              } else if (o instanceof CreateOutcome.QuotaExceeded q) {
                assertThat(q.limit()).isEqualTo(10);
                refused.incrementAndGet();
              }
            })
        .sequential()
        .blockLast(Duration.ofSeconds(60));
    assertThat(created.get()).isEqualTo(10);
    assertThat(refused.get()).isEqualTo(90);
  }

  @Test
  void listIsNewestFirstAndPagesWithoutOverlap() {
    store.accounts().createAccount("acct_list", "list", 100).block();
    for (int i = 0; i < 5; i++) {
      Instant t = Instant.parse("2026-01-01T00:00:00Z").plusSeconds(i);
      store
          .sessions()
          .create(
              new NewSession(
                  String.format("sess_%024x", 5000 + i),
                  "acct_list",
                  "{}",
                  "x",
                  "docker",
                  null,
                  t,
                  t.plusSeconds(60)))
          .block();
    }
    List<SessionRow> first =
        store.sessions().list("acct_list", null, 3, null, null).collectList().block();
    assertThat(first)
        .extracting(SessionRow::id)
        .containsExactly(
            "sess_00000000000000000000138c",
            "sess_00000000000000000000138b",
            "sess_00000000000000000000138a");
    SessionRow last = first.get(2);
    List<SessionRow> second =
        store
            .sessions()
            .list("acct_list", null, 3, last.createdAt(), last.id())
            .collectList()
            .block();
    assertThat(second)
        .extracting(SessionRow::id)
        .containsExactly("sess_000000000000000000001389", "sess_000000000000000000001388");
  }

  @Test
  void outputArchiveRoundTripsBytesAndStreams() {
    store.accounts().createAccount("acct_out", "out", 10).block();
    NewSession s = session("acct_out", 7000);
    store.sessions().create(s).block();
    byte[] big = new byte[(3 << 20) + 5];
    new java.util.Random(1).nextBytes(big);
    List<OutputChunk> chunks =
        List.of(
            new OutputChunk(1, "a".getBytes()),
            new OutputChunk(1, big),
            new OutputChunk(2, "e".getBytes()));
    store.outputs().save(s.id(), chunks, 42).block();
    List<OutputChunk> back = store.outputs().load(s.id()).collectList().block();
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
    for (OutputChunk c : back) {
      (c.stream() == 1 ? out : err).writeBytes(c.data());
    }
    byte[] expected = new byte[big.length + 1];
    expected[0] = 'a';
    System.arraycopy(big, 0, expected, 1, big.length);
    assertThat(out.toByteArray()).isEqualTo(expected);
    assertThat(err.toString()).isEqualTo("e");
    SessionRow row = store.sessions().findById(s.id()).block();
    assertThat(row.outputArchived()).isTrue();
    assertThat(row.outputDropped()).isEqualTo(42);
  }

  @Test
  void wakeupsArriveThroughListenNotify() {
    store.accounts().createAccount("acct_wake", "wake", 10).block();
    NewSession s = session("acct_wake", 9000);
    var next = store.sessionWakeups().filter(s.id()::equals).next().toFuture();
    // the LISTEN connection may need a moment; wake repeatedly until it is heard
    for (int i = 0; i < 50 && !next.isDone(); i++) {
      if (i == 0) {
        store.sessions().create(s).block();
      } else {
        store.sessions().wake(s.id()).block();
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    assertThat(next).isCompletedWithValue(s.id());
  }

  @Test
  void anAdoptedSessionKeepsItsResourcesNameAndIsInsertedOnce() {
    store.accounts().createAccount("acct_adopt", "adopt", 0).block();
    NewSession s = session("acct_adopt", 11000);
    SessionRow first = store.sessions().adopt(s, "team-a", "hello").block();
    assertThat(first.resourceNamespace()).isEqualTo("team-a");
    assertThat(first.resourceName()).isEqualTo("hello");
    // a retried reconcile, or a restarted operator, adopts the same id again: the one row
    SessionRow again = store.sessions().adopt(s, "team-a", "hello").block();
    assertThat(again).isEqualTo(first);
    assertThat(store.sessions().list("acct_adopt", null, 10, null, null).collectList().block())
        .singleElement()
        .satisfies(r -> assertThat(r.resourceName()).isEqualTo("hello"));
    // a session the API created has no resource name of its own (sess-<hex> is implied)
    store.accounts().createAccount("acct_api", "api", 10).block();
    NewSession created = session("acct_api", 11001);
    store.sessions().create(created).block();
    SessionRow row = store.sessions().findById(created.id()).block();
    assertThat(row.resourceNamespace()).isNull();
    assertThat(row.resourceName()).isNull();
  }
}
