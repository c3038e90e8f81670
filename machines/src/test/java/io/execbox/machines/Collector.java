package io.execbox.machines;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** Collects a machine's output as the sink interface hands it over. */
public final class Collector implements OutputSink {
  private static final Duration WAIT = Duration.ofSeconds(60);

  public final ByteArrayOutputStream out = new ByteArrayOutputStream();
  public final ByteArrayOutputStream err = new ByteArrayOutputStream();
  public final List<String> events = new CopyOnWriteArrayList<>();
  public final CountDownLatch ended = new CountDownLatch(1);
  public final AtomicInteger ends = new AtomicInteger();
  public volatile Throwable error;
  public volatile long firstByteNanos;

  @Override
  public synchronized void onOutput(StreamKind kind, byte[] data) {
    if (firstByteNanos == 0) {
      firstByteNanos = System.nanoTime();
    }
    (kind == StreamKind.STDOUT ? out : err).writeBytes(data);
    if (data.length < 1024) {
      events.add(kind + ":" + new String(data, StandardCharsets.UTF_8));
    }
  }

  @Override
  public void onEnd(Throwable e) {
    error = e;
    ends.incrementAndGet();
    ended.countDown();
  }

  public void awaitEnd() throws InterruptedException {
    assertThat(ended.await(WAIT.toSeconds(), TimeUnit.SECONDS)).as("output ended").isTrue();
    assertThat(error).as("output ended without error").isNull();
  }

  public synchronized String stdout() {
    return out.toString(StandardCharsets.UTF_8);
  }

  public synchronized String stderr() {
    return err.toString(StandardCharsets.UTF_8);
  }
}
