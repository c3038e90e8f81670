package io.execbox.api.attach;

import io.execbox.api.auth.ForwardTokens;
import io.netty.channel.ChannelOption;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.http.HttpHeaders;
import org.springframework.web.reactive.socket.WebSocketMessage;
import org.springframework.web.reactive.socket.client.ReactorNettyWebSocketClient;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.netty.http.client.HttpClient;
import reactor.netty.http.client.WebsocketClientSpec;
import reactor.netty.resources.ConnectionProvider;

/**
 * Connects an attach to the server process that holds its session's stdio (the operator replica
 * that attached to the machine before its command started, recorded on the session's row), so that
 * a client of any api replica gets what a client of the holder gets: stdout and stderr apart,
 * stdin, stdin-close. The client's key stays here: the holder is shown a token good for this one
 * session's attach for a minute ({@link ForwardTokens}), signed with a secret the installation's
 * replicas share through their database.
 */
public final class AttachForwarder implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(AttachForwarder.class);
  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(2);
  private static final Duration RESPONSE_TIMEOUT = Duration.ofSeconds(5);

  /** How long the client's last frames may take to reach the holder once the client is gone. */
  private static final Duration DRAIN = Duration.ofSeconds(10);

  private final String self;
  private final ForwardTokens tokens;
  private final Clock clock;
  private final ConnectionProvider connections;
  private final ReactorNettyWebSocketClient client;

  /**
   * @param self the address (host:port) this process serves attach clients at, or null
   * @param tokens signs forwarded attaches
   */
  public AttachForwarder(String self, ForwardTokens tokens, Clock clock, int maxMessageBytes) {
    this.self = self;
    this.tokens = tokens;
    this.clock = clock;
    this.connections = ConnectionProvider.newConnection();
    HttpClient http =
        HttpClient.create(connections)
            .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) CONNECT_TIMEOUT.toMillis())
            .responseTimeout(RESPONSE_TIMEOUT);
    this.client =
        new ReactorNettyWebSocketClient(
            http, () -> WebsocketClientSpec.builder().maxFramePayloadLength(maxMessageBytes));
  }

  /**
   * On a forwarded attach: the output offset to start from, for a client that was sent everything
   * before it by a holder that went away. Internal to an installation, like the token.
   */
  static final String RESUME_AT = "X-Execbox-Resume-At";

  /**
   * Whether this is an attach forwarded here by another replica (its token was checked), and the
   * offset its output starts at.
   */
  record Caller(boolean forwarded, long resumeAt) {
    static Caller of(HttpHeaders headers) {
      boolean forwarded = headers.containsKey(ForwardTokens.HEADER);
      long at = 0;
      String r = headers.getFirst(RESUME_AT);
      if (forwarded && r != null) {
        try {
          at = Math.max(0, Long.parseLong(r));
        } catch (NumberFormatException e) {
          at = 0;
        }
      }
      return new Caller(forwarded, at);
    }
  }

  /** Whether {@code caller} is served by {@code holder} rather than by this process. */
  boolean forwards(String holder, Caller caller) {
    return holder != null && !holder.equals(self) && !caller.forwarded();
  }

  /** The holder could not be reached: nothing was sent to the client, who may be served here. */
  static final class Unreachable extends RuntimeException {
    Unreachable(String holder, Throwable cause) {
      super("the holder " + holder + " cannot be reached: " + cause.getMessage(), cause);
    }
  }

  /**
   * Connects to the holder's attach WebSocket. Fails with {@link Unreachable} when the handshake
   * does not complete (the holder is gone, or refuses).
   */
  Mono<Upstream> connect(String holder, String sessionId, long resumeAt) {
    HttpHeaders headers = new HttpHeaders();
    headers.set(ForwardTokens.HEADER, tokens.issue(sessionId, clock.instant()));
    if (resumeAt > 0) {
      headers.set(RESUME_AT, Long.toString(resumeAt));
    }
    URI uri = URI.create("ws://" + holder + "/v1/sessions/" + sessionId + "/attach");
    return Mono.create(
        sink -> {
          AtomicBoolean connected = new AtomicBoolean();
          Disposable connection =
              client
                  .execute(
                      uri,
                      headers,
                      up -> {
                        connected.set(true);
                        Sinks.Empty<Void> ended = Sinks.empty();
                        // the holder's frames have all been read (not merely cancelled)
                        Flux<byte[]> frames =
                            up.receive()
                                .filter(m -> m.getType() == WebSocketMessage.Type.BINARY)
                                .map(AttachForwarder::bytes)
                                .doOnComplete(ended::tryEmitEmpty)
                                .doOnError(e -> ended.tryEmitEmpty());
                        Upstream upstream = new Upstream(frames);
                        sink.success(upstream);
                        Mono<Void> drained =
                            up.send(upstream.toHolder().map(b -> up.binaryMessage(f -> f.wrap(b))))
                                .onErrorResume(e -> Mono.empty())
                                .then(
                                    Mono.defer(
                                        () -> upstream.isClosed() ? Mono.empty() : Mono.never()));
                        // held until the client has read the holder's frames to their end (the
                        // holder closes right after its last frame, and ending this connection
                        // earlier would drop what the client has not read yet), or until the
                        // client is gone and what it sent has been written
                        return Mono.firstWithSignal(
                            ended.asMono(),
                            drained,
                            upstream.clientGone().then(Mono.delay(DRAIN)).then());
                      })
                  .subscribe(
                      null,
                      e -> {
                        if (!connected.get()) {
                          sink.error(new Unreachable(holder, e));
                        } else {
                          log.debug(
                              "attach {}: connection to {} ended: {}",
                              sessionId,
                              holder,
                              e.toString());
                        }
                      });
          sink.onCancel(connection);
        });
  }

  private static byte[] bytes(WebSocketMessage m) {
    DataBuffer p = m.getPayload();
    byte[] b = new byte[p.readableByteCount()];
    p.read(b);
    return b;
  }

  @Override
  public void close() {
    connections.dispose();
  }
}
