package io.execbox.machines.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.execbox.machines.IoChannel;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class StdinQueueTest {
  private final ExecutorService writers = Executors.newFixedThreadPool(2);

  @AfterEach
  void shutdown() {
    writers.shutdownNow();
  }

  /** A command's stdin that records what reaches it; while gated, a write waits for a permit. */
  static final class FakeStdin implements IoChannel {
    final List<String> got = new CopyOnWriteArrayList<>();
    final Semaphore permits = new Semaphore(Integer.MAX_VALUE);
    final AtomicInteger writing = new AtomicInteger();
    final AtomicInteger mostAtOnce = new AtomicInteger();
    volatile boolean closed;
    volatile IOException failWith;

    void gate() {
      permits.drainPermits();
    }

    @Override
    public void writeStdin(byte[] data) throws IOException {
      mostAtOnce.accumulateAndGet(writing.incrementAndGet(), Math::max);
      try {
        permits.acquireUninterruptibly();
        if (failWith != null) {
          throw failWith;
        }
        got.add(new String(data, StandardCharsets.UTF_8));
      } finally {
        writing.decrementAndGet();
      }
    }

    @Override
    public void closeStdin() {
      closed = true;
      got.add("<close>");
    }

    @Override
    public boolean stdinOpen() {
      return !closed;
    }

    @Override
    public void close() {}
  }

  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static CompletableFuture<Void> write(StdinQueue q, String s) {
    return q.write(b(s)).toFuture();
  }

  private static void await(CompletableFuture<?> f) throws Exception {
    f.get(5, TimeUnit.SECONDS);
  }

  private static void eventually(Runnable check) throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (true) {
      try {
        check.run();
        return;
      } catch (AssertionError e) {
        if (System.nanoTime() > end) {
          throw e;
        }
        Thread.sleep(10);
      }
    }
  }

  @Test
  void writesOfSeveralClientsArriveInTheOrderOfferedAndTheCloseAfterThem() throws Exception {
    StdinQueue q = new StdinQueue(writers, 100);
    FakeStdin stdin = new FakeStdin();
    // offered before the command runs: held until it does
    await(write(q, "one "));
    await(write(q, "two "));
    await(write(q, "three "));
    await(q.close().toFuture());
    assertThat(stdin.got).isEmpty();
    q.start(stdin);
    eventually(() -> assertThat(stdin.got).containsExactly("one ", "two ", "three ", "<close>"));
  }

  @Test
  void aWriteAfterTheCloseFailsAndASecondCloseDoesNot() throws Exception {
    StdinQueue q = new StdinQueue(writers, 100);
    q.start(new FakeStdin());
    await(q.close().toFuture());
    assertThatThrownBy(() -> await(write(q, "late")))
        .isInstanceOf(ExecutionException.class)
        .hasCauseInstanceOf(IOException.class)
        .hasMessageContaining("stdin is closed");
    await(q.close().toFuture());
  }

  @Test
  void aFullLineHoldsBackItsWritersUntilItHasRoomAndKeepsTheirOrder() throws Exception {
    StdinQueue q = new StdinQueue(writers, 4);
    FakeStdin stdin = new FakeStdin();
    stdin.gate(); // the command does not read its stdin
    q.start(stdin);
    await(write(q, "aaaa")); // an empty line takes it
    eventually(() -> assertThat(stdin.writing.get()).isEqualTo(1));
    CompletableFuture<Void> b = write(q, "bb");
    CompletableFuture<Void> c = write(q, "c");
    CompletableFuture<Void> close = q.close().toFuture();
    Thread.sleep(100);
    assertThat(q.queuedBytes()).isEqualTo(4);
    assertThat(b).isNotDone(); // the back-pressure signal: its client reads nothing more
    assertThat(c).isNotDone(); // fits, but waits behind b: no overtaking
    assertThat(close).isNotDone();
    stdin.permits.release(Integer.MAX_VALUE / 2);
    await(b);
    await(c);
    await(close);
    eventually(() -> assertThat(stdin.got).containsExactly("aaaa", "bb", "c", "<close>"));
    assertThat(stdin.mostAtOnce.get()).isEqualTo(1);
  }

  @Test
  void aFrameLargerThanTheLimitIsLetInAlone() throws Exception {
    StdinQueue q = new StdinQueue(writers, 4);
    FakeStdin stdin = new FakeStdin();
    q.start(stdin);
    await(write(q, "0123456789"));
    eventually(() -> assertThat(stdin.got).containsExactly("0123456789"));
  }

  @Test
  void aStuckSessionHoldsOneWriterAndNoOtherSessionWaitsForIt() throws Exception {
    StdinQueue stuck = new StdinQueue(writers, 4);
    FakeStdin blocked = new FakeStdin();
    blocked.gate();
    stuck.start(blocked);
    for (int i = 0; i < 3; i++) {
      write(stuck, "xx");
    }
    StdinQueue free = new StdinQueue(writers, 4);
    FakeStdin reading = new FakeStdin();
    free.start(reading);
    for (int i = 0; i < 50; i++) {
      await(write(free, "y"));
    }
    eventually(() -> assertThat(reading.got).hasSize(50));
    // its one writer may enter the stuck write only now (the free session's went first): it holds
    // one, never more
    eventually(() -> assertThat(blocked.mostAtOnce.get()).isEqualTo(1));
    blocked.permits.release(Integer.MAX_VALUE / 2);
  }

  @Test
  void whenTheMachineCannotTakeStdinWaitingWritersAreToldAndLaterOnesToo() throws Exception {
    StdinQueue q = new StdinQueue(writers, 2);
    FakeStdin stdin = new FakeStdin();
    stdin.gate();
    stdin.failWith = new IOException("broken pipe");
    q.start(stdin);
    await(write(q, "aa"));
    CompletableFuture<Void> waiting = write(q, "bb");
    stdin.permits.release();
    assertThatThrownBy(() -> await(waiting)).hasCauseInstanceOf(IOException.class);
    assertThatThrownBy(() -> await(write(q, "cc"))).hasCauseInstanceOf(IOException.class);
    await(q.close().toFuture()); // closing what is gone is not an error
  }

  @Test
  void aWriterThatLeavesBeforeItsWriteIsLetInDropsIt() throws Exception {
    StdinQueue q = new StdinQueue(writers, 2);
    FakeStdin stdin = new FakeStdin();
    stdin.gate();
    q.start(stdin);
    await(write(q, "aa"));
    var gone = q.write(b("bb")).subscribe();
    CompletableFuture<Void> next = write(q, "cc");
    gone.dispose();
    stdin.permits.release(Integer.MAX_VALUE / 2);
    await(next);
    eventually(() -> assertThat(stdin.got).containsExactly("aa", "cc"));
  }

  @Test
  void writesWaitForTheCommandToStartAndFailIfItNeverDoes() {
    StdinQueue q = new StdinQueue(writers, 100);
    CompletableFuture<Void> early = write(q, "early");
    q.fail(new IOException("the session's machine is gone"));
    assertThatThrownBy(() -> await(write(q, "late")))
        .hasMessageContaining("the session's machine is gone");
    // it was let in (the line had room), and then dropped with the machine
    assertThat(early).isDone();
  }
}
