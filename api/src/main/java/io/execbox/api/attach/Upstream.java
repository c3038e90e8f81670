package io.execbox.api.attach;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import reactor.core.publisher.Flux;
import reactor.core.publisher.FluxSink;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;
import reactor.core.publisher.Operators;
import reactor.core.publisher.Sinks;

/**
 * An attach forwarded to the server process holding the session's stdio: the frames it sends (read
 * once, at the client's pace) and the client's frames going to it, already checked here. A client
 * frame is accepted only when the connection to the holder takes it, so a client cannot pile up
 * stdin here faster than the holder reads it.
 */
final class Upstream {
  private record Pending(byte[] frame, MonoSink<Void> accepted) {}

  private final Flux<byte[]> frames;
  private final Object lock = new Object();
  private final ArrayDeque<Pending> pending = new ArrayDeque<>();
  private final Sinks.Empty<Void> clientGone = Sinks.empty();
  private FluxSink<byte[]> sink;
  private long demand;
  private boolean closed;
  private boolean disposed;

  Upstream(Flux<byte[]> frames) {
    this.frames = frames;
  }

  /** The holder's frames, ending when it closes (after the exit or error frame). */
  Flux<byte[]> frames() {
    return frames;
  }

  /** The client's frames for the connection to the holder, each taken when it can be written. */
  Flux<byte[]> toHolder() {
    return Flux.create(
        s -> {
          synchronized (lock) {
            sink = s;
          }
          s.onRequest(
              n -> {
                List<MonoSink<Void>> done;
                synchronized (lock) {
                  demand = Operators.addCap(demand, n);
                  done = drainLocked();
                }
                done.forEach(MonoSink::success);
              });
          s.onDispose(this::disposed);
          List<MonoSink<Void>> done;
          synchronized (lock) {
            done = drainLocked();
          }
          done.forEach(MonoSink::success);
        });
  }

  /** Passes one of the client's frames on; completes once the connection has taken it. */
  Mono<Void> send(byte[] frame) {
    return Mono.create(
        accepted -> {
          List<MonoSink<Void>> done;
          synchronized (lock) {
            if (closed || disposed) {
              accepted.error(new IOException("the connection to the holder is closed"));
              return;
            }
            pending.add(new Pending(frame, accepted));
            done = drainLocked();
          }
          done.forEach(MonoSink::success);
        });
  }

  private List<MonoSink<Void>> drainLocked() {
    List<MonoSink<Void>> done = new ArrayList<>();
    while (sink != null && demand > 0 && !pending.isEmpty()) {
      Pending p = pending.poll();
      demand--;
      sink.next(p.frame());
      done.add(p.accepted());
    }
    if (closed && pending.isEmpty() && sink != null) {
      sink.complete();
    }
    return done;
  }

  private void disposed() {
    List<Pending> failed;
    synchronized (lock) {
      disposed = true;
      failed = new ArrayList<>(pending);
      pending.clear();
    }
    failed.forEach(p -> p.accepted().error(new IOException("the connection to the holder closed")));
  }

  /** The client is gone: what it sent goes out, then the connection to the holder ends. */
  void close() {
    List<MonoSink<Void>> done;
    synchronized (lock) {
      closed = true;
      done = drainLocked();
    }
    done.forEach(MonoSink::success);
    clientGone.tryEmitEmpty();
  }

  boolean isClosed() {
    synchronized (lock) {
      return closed;
    }
  }

  /** Completes when the client is gone. */
  Mono<Void> clientGone() {
    return clientGone.asMono();
  }
}
