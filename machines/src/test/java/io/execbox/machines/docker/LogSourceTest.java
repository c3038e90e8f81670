package io.execbox.machines.docker;

import static io.execbox.machines.docker.FrameReaderTest.concat;
import static io.execbox.machines.docker.FrameReaderTest.frame;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.execbox.machines.StreamKind;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

class LogSourceTest {
  /** The whole log: stdout and stderr interleaved. */
  static final byte[] WHOLE =
      concat(
          frame(1, "one\n"),
          frame(2, "err-a\n"),
          frame(1, "two\n"),
          frame(1, "three\n"),
          frame(2, "err-b\n"));

  /** An engine whose n-th log read answers {@code logs[n]}, the last one from then on. */
  static final class Logs implements AutoCloseable {
    final AtomicInteger reads = new AtomicInteger();
    final FakeEngine engine;
    final DockerClient client;

    Logs(byte[]... logs) throws IOException {
      engine =
          new FakeEngine(
              r -> {
                byte[] body = logs[Math.min(reads.getAndIncrement(), logs.length - 1)];
                r.answer("HTTP/1.1 200 OK\r\nContent-Length: " + body.length + "\r\n\r\n");
                r.out().write(body);
                r.out().flush();
              });
      client = new DockerClient(engine.host());
    }

    DockerConnection open() {
      return client.stream("GET", "/logs", null);
    }

    LogSource source(BooleanSupplier running) {
      return new LogSource(open(), running, this::open);
    }

    @Override
    public void close() throws IOException {
      engine.close();
    }
  }

  /** Answers true {@code times} times, then false. */
  static BooleanSupplier runningFor(int times) {
    AtomicInteger asked = new AtomicInteger();
    return () -> asked.incrementAndGet() <= times;
  }

  static final class Collected implements OutputSource.Frames {
    final ByteArrayOutputStream out = new ByteArrayOutputStream();
    final ByteArrayOutputStream err = new ByteArrayOutputStream();
    final List<String> order = Collections.synchronizedList(new ArrayList<>());

    @Override
    public void accept(StreamKind kind, byte[] data) {
      (kind == StreamKind.STDOUT ? out : err).writeBytes(data);
      order.add(kind + ":" + new String(data, StandardCharsets.UTF_8));
    }
  }

  @Test
  void anExitedContainersLogIsReadOnceAsItIs() throws Exception {
    try (Logs logs = new Logs(WHOLE)) {
      Collected c = new Collected();
      logs.source(null).pump(c);
      assertThat(c.out.toString(StandardCharsets.UTF_8)).isEqualTo("one\ntwo\nthree\n");
      assertThat(c.err.toString(StandardCharsets.UTF_8)).isEqualTo("err-a\nerr-b\n");
      assertThat(c.order).hasSize(5);
      assertThat(logs.reads.get()).isEqualTo(1);
    }
  }

  @Test
  void aRunningContainersLogIsReadUntilAReadThatBeganAfterItStopped() throws Exception {
    // A read may end inside a line (Podman reads the file as it is written).
    byte[] early = concat(frame(1, "one\n"), frame(2, "err-a\n"), frame(1, "tw"));
    try (Logs logs = new Logs(early, early, WHOLE)) {
      Collected c = new Collected();
      // Running at the second and third read's start; stopped before the fourth.
      logs.source(runningFor(2)).pump(c);
      assertThat(c.out.toString(StandardCharsets.UTF_8)).isEqualTo("one\ntwo\nthree\n");
      assertThat(c.err.toString(StandardCharsets.UTF_8)).isEqualTo("err-a\nerr-b\n");
      assertThat(c.order)
          .containsExactly(
              "STDOUT:one\n",
              "STDERR:err-a\n",
              "STDOUT:tw",
              "STDOUT:o\n",
              "STDOUT:three\n",
              "STDERR:err-b\n");
      assertThat(logs.reads.get()).isEqualTo(4);
    }
  }

  @Test
  void theFirstReadOfARunningContainerIsNeverTheLastEvenIfItHasStoppedSince() throws Exception {
    byte[] early = concat(frame(1, "one\n"));
    try (Logs logs = new Logs(early, WHOLE)) {
      Collected c = new Collected();
      logs.source(runningFor(0)).pump(c);
      assertThat(c.out.toString(StandardCharsets.UTF_8)).isEqualTo("one\ntwo\nthree\n");
      assertThat(logs.reads.get()).isEqualTo(2);
    }
  }

  @Test
  void aLogThatNoLongerBeginsWithWhatWasDeliveredEndsInAnError() throws Exception {
    byte[] early = concat(frame(1, "one\n"), frame(1, "two\n"));
    byte[] changed = concat(frame(1, "one\n"), frame(1, "tXo\n"), frame(1, "three\n"));
    try (Logs logs = new Logs(early, changed)) {
      Collected c = new Collected();
      assertThatThrownBy(() -> logs.source(runningFor(0)).pump(c))
          .isInstanceOf(IOException.class)
          .hasMessageContaining("changed")
          .hasMessageContaining("stdout");
      assertThat(c.out.toString(StandardCharsets.UTF_8)).isEqualTo("one\ntwo\n");
    }
  }

  @Test
  void aLogThatShrankEndsInAnError() throws Exception {
    try (Logs logs = new Logs(WHOLE, concat(frame(1, "one\n"), frame(2, "err-a\n")))) {
      assertThatThrownBy(() -> logs.source(runningFor(0)).pump(new Collected()))
          .isInstanceOf(IOException.class)
          .hasMessageContaining("stdout")
          .hasMessageContaining("less");
    }
  }

  @Test
  void aQuietLogIsReadLessOftenAndStdinBringsTheNextReadSooner() throws Exception {
    try (Logs logs = new Logs(WHOLE)) {
      LogSource source = new LogSource(logs.open(), () -> true, logs::open, 50, 60_000);
      Collected c = new Collected();
      CompletableFuture<Void> pumping =
          CompletableFuture.runAsync(
              () -> {
                try {
                  source.pump(c);
                } catch (IOException e) {
                  throw new IllegalStateException(e);
                }
              });
      // Pauses of 50, 100, 200, 400, 800, 1600 ms: reads at 0, 50, 150, 350, 750, 1550, 3150 ms
      // (later on a slow machine), the next one not before 6350 ms. Unpaced, it would be 60 reads.
      Thread.sleep(3500);
      int quiet = logs.reads.get();
      assertThat(quiet).as("read again and again, but paced").isBetween(2, 7);
      source.nudge();
      long nudged = System.nanoTime();
      while (logs.reads.get() == quiet && System.nanoTime() - nudged < 2_000_000_000L) {
        Thread.sleep(10);
      }
      assertThat(logs.reads.get()).isGreaterThan(quiet);
      assertThat(c.order).hasSize(5);
      source.abort();
      pumping.get(5, TimeUnit.SECONDS);
    }
  }
}
