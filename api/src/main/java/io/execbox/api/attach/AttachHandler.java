package io.execbox.api.attach;

import io.execbox.machines.MachineBackend;
import io.execbox.machines.io.SessionIoHub;
import io.execbox.store.Store;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.DataAccessException;
import org.springframework.transaction.TransactionException;
import org.springframework.web.reactive.socket.CloseStatus;
import org.springframework.web.reactive.socket.WebSocketHandler;
import org.springframework.web.reactive.socket.WebSocketMessage;
import org.springframework.web.reactive.socket.WebSocketSession;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * The attach WebSocket of docs/API.md. The session was authorised before the handshake ({@link
 * AttachFilter}); here its output is streamed from offset 0 at the client's pace, stdin frames are
 * written in order (the next message is not read before the last one is in the session's stdin
 * line, which holds a bounded number of bytes), and protocol abuse is answered with an error frame
 * and close 1003/1007.
 */
public final class AttachHandler implements WebSocketHandler {
  private static final Logger log = LoggerFactory.getLogger(AttachHandler.class);

  private final AttachTargets targets;
  private final AtomicInteger attached = new AtomicInteger();

  public AttachHandler(
      Store store,
      MachineBackend backend,
      SessionIoHub hub,
      AttachForwarder forwarder,
      MeterRegistry meters) {
    this.targets = new AttachTargets(store, backend, hub, forwarder);
    Gauge.builder("execbox.attach.clients", attached, AtomicInteger::get)
        .description("WebSocket clients attached now")
        .register(meters);
  }

  /** An error frame's text for a failed attach: ours to say, never a framework's words. */
  static String failure(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof DataAccessException || t instanceof TransactionException) {
        return "attach failed: the database is unavailable; attach again shortly";
      }
    }
    return "attach failed: " + e.getMessage();
  }

  @Override
  public Mono<Void> handle(WebSocketSession ws) {
    // AttachFilter authorised this path before the handshake (404 otherwise)
    String sessionId = AttachFilter.sessionIdOf(ws.getHandshakeInfo().getUri().getPath());
    if (sessionId == null) {
      return ws.close(CloseStatus.POLICY_VIOLATION);
    }
    attached.incrementAndGet();
    var caller = AttachForwarder.Caller.of(ws.getHandshakeInfo().getHeaders());
    Connection c = new Connection(ws);
    // cancelled when the client goes: a cached Mono would not pass the cancel on, and a forwarded
    // attach resolved after the client left must not keep its connection to the holder open
    c.target =
        targets
            .resolve(sessionId, caller)
            .takeUntilOther(c.gone.asMono())
            .doOnNext(c::resolved)
            .cache();
    Flux<byte[]> output =
        c.target
            .flatMapMany(t -> frames(t, sessionId, caller, c, caller.resumeAt(), 0))
            .onErrorResume(
                e -> {
                  log.warn("attach {}: {}", sessionId, e.toString());
                  return Flux.just(FrameCodec.error(failure(e)));
                })
            .takeUntilOther(c.abort.asMono())
            .doOnComplete(() -> c.control.tryEmitComplete());
    Mono<Void> outbound =
        ws.send(Flux.merge(output, c.control.asFlux()).map(b -> ws.binaryMessage(f -> f.wrap(b))))
            .then(Mono.defer(() -> ws.close(c.closeWith.get())));
    // one message at a time, none read ahead: a client whose stdin waits is not read meanwhile
    Mono<Void> inbound = ws.receive().concatMap(msg -> onMessage(msg, c), 0).then();
    // inbound first: the client may send stdin the moment the handshake completes
    return Mono.firstWithSignal(inbound, outbound)
        .doFinally(
            s -> {
              attached.decrementAndGet();
              c.finished();
            });
  }

  /**
   * The frames of a target from {@code from} on. A holder that goes away before the stream's end
   * (an operator restarting) is replaced: the target is resolved again and continues from the first
   * byte this client has not been sent, so that the client sees one stream, every byte once.
   */
  private Flux<byte[]> frames(
      AttachTarget t,
      String sessionId,
      AttachForwarder.Caller caller,
      Connection c,
      long from,
      int handovers) {
    if (t.upstream() == null) {
      return JournalFrames.from(t.journal(), from);
    }
    OutputPosition at = new OutputPosition(from);
    return t.upstream()
        .frames()
        .doOnNext(at::saw)
        .onErrorResume(e -> Flux.empty())
        .concatWith(
            Flux.defer(
                () -> {
                  if (at.ended() || c.isOver() || handovers >= MAX_HANDOVERS) {
                    return Flux.empty();
                  }
                  log.info(
                      "attach {}: the holder went away after byte {}; resuming",
                      sessionId,
                      at.offset());
                  t.upstream().close();
                  return targets
                      .resolve(sessionId, caller, at.offset())
                      .takeUntilOther(c.gone.asMono())
                      .doOnNext(c::handedOver)
                      .flatMapMany(
                          next -> frames(next, sessionId, caller, c, at.offset(), handovers + 1));
                }));
  }

  /** Holders a client's stream may go through before it is ended. */
  private static final int MAX_HANDOVERS = 5;

  /** One client connection's state. */
  private static final class Connection {
    final WebSocketSession ws;
    volatile Mono<AttachTarget> target;

    /** Emitted when the connection has ended. */
    final Sinks.Empty<Void> gone = Sinks.empty();

    /** Frames besides the output (errors), written in order with it. */
    final Sinks.Many<byte[]> control = Sinks.many().unicast().onBackpressureBuffer();

    final Sinks.Empty<Void> abort = Sinks.empty();
    final AtomicReference<CloseStatus> closeWith = new AtomicReference<>(CloseStatus.NORMAL);
    volatile boolean aborted;

    /** The connection to the holder of the session's stdio, when forwarded. */
    private Upstream upstream;

    private boolean over;

    Connection(WebSocketSession ws) {
      this.ws = ws;
    }

    /** The stream goes on through {@code t}: the client's stdin goes there from now on. */
    void handedOver(AttachTarget t) {
      target = Mono.just(t);
      resolved(t);
    }

    synchronized boolean isOver() {
      return over;
    }

    synchronized void resolved(AttachTarget t) {
      if (t.upstream() == null) {
        return;
      }
      if (over) {
        t.upstream().close();
      } else {
        upstream = t.upstream();
      }
    }

    void finished() {
      Upstream up;
      synchronized (this) {
        over = true;
        up = upstream;
      }
      gone.tryEmitEmpty();
      if (up != null) {
        up.close();
      }
    }

    synchronized void send(byte[] frame) {
      control.tryEmitNext(frame);
    }

    /** Sends an error frame, then closes with {@code code} once it is written. */
    synchronized void abort(int code, String message) {
      if (aborted) {
        return;
      }
      aborted = true;
      control.tryEmitNext(FrameCodec.error(message));
      closeWith.set(new CloseStatus(code, code == 1003 ? "unsupported data" : "invalid frame"));
      abort.tryEmitEmpty();
    }
  }

  private Mono<Void> onMessage(WebSocketMessage msg, Connection c) {
    if (c.aborted) {
      return Mono.empty();
    }
    if (msg.getType() == WebSocketMessage.Type.TEXT) {
      log.info("attach protocol error: text message");
      c.abort(1003, "text messages are not part of the protocol; send binary frames");
      return Mono.empty();
    }
    if (msg.getType() != WebSocketMessage.Type.BINARY) {
      return Mono.empty();
    }
    Frame frame;
    byte[] raw = new byte[msg.getPayload().readableByteCount()];
    msg.getPayload().read(raw);
    try {
      frame = FrameCodec.decode(java.nio.ByteBuffer.wrap(raw));
    } catch (FrameCodec.ProtocolException e) {
      log.info("attach protocol error: {}", e.getMessage());
      c.abort(e.closeCode(), e.getMessage());
      return Mono.empty();
    }
    return c.target.flatMap(
        t -> {
          if (t.upstream() != null) {
            // checked here, passed on as it came, once the holder's connection takes it (the
            // holder writes it to the command); a closed connection shows in the holder's frames
            return t.upstream().send(raw).onErrorResume(e -> Mono.empty());
          }
          if (t.live() == null) {
            c.send(FrameCodec.error("the session has ended; stdin is not accepted"));
            return Mono.empty();
          }
          if (frame instanceof Frame.Stdin s) {
            // completes once the session's stdin line takes it: until then this client's next
            // message is not read, and only this session's clients wait
            return t.live()
                .writeStdin(s.data())
                .onErrorResume(
                    IOException.class,
                    e -> {
                      c.send(FrameCodec.error("stdin is closed"));
                      return Mono.empty();
                    });
          }
          return t.live().closeStdin();
        });
  }
}
