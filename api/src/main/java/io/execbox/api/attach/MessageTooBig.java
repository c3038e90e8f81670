package io.execbox.api.attach;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.springframework.http.server.reactive.ServerHttpResponseDecorator;
import org.springframework.web.reactive.socket.WebSocketHandler;
import org.springframework.web.reactive.socket.WebSocketSession;
import org.springframework.web.reactive.socket.server.RequestUpgradeStrategy;
import reactor.core.publisher.Mono;
import reactor.netty.http.server.HttpServerResponse;

/**
 * A WebSocket message over the size limit gets an error frame before its close 1009, as API.md has
 * it for every refused message. Netty's frame decoder refuses the message from its header, before
 * any of it reaches the attach handler, and writes the close itself; this outbound handler, between
 * Netty's WebSocket encoder and decoder, puts the error frame in front of that close.
 */
public final class MessageTooBig extends ChannelOutboundHandlerAdapter {
  static final String NAME = "execbox.messageTooBig";
  private static final long LINGER_MILLIS = 2000;

  private final int limit;
  private boolean lingering;

  MessageTooBig(int limit) {
    this.limit = limit;
  }

  /**
   * The upgrade strategy, with every connection it upgrades given a {@link MessageTooBig} once
   * Netty's WebSocket codec is in place (when the session's handler is called).
   */
  public static RequestUpgradeStrategy around(RequestUpgradeStrategy strategy, int limit) {
    return (exchange, handler, subProtocol, handshakeInfo) -> {
      HttpServerResponse netty =
          ServerHttpResponseDecorator.getNativeResponse(exchange.getResponse());
      WebSocketHandler installing =
          new WebSocketHandler() {
            @Override
            public List<String> getSubProtocols() {
              return handler.getSubProtocols();
            }

            @Override
            public Mono<Void> handle(WebSocketSession session) {
              netty.withConnection(c -> install(c.channel().pipeline(), limit));
              return handler.handle(session);
            }
          };
      return strategy.upgrade(exchange, installing, subProtocol, handshakeInfo);
    };
  }

  private static void install(ChannelPipeline p, int limit) {
    // the names Netty's handshaker gives its WebSocket encoder and decoder
    if (p.get("wsencoder") != null && p.get("wsdecoder") != null && p.get(NAME) == null) {
      p.addAfter("wsencoder", NAME, new MessageTooBig(limit));
    }
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    if (msg instanceof CloseWebSocketFrame close
        && close.statusCode() == WebSocketCloseStatus.MESSAGE_TOO_BIG.code()) {
      byte[] error =
          FrameCodec.error("message too large: a WebSocket message is at most " + limit + " bytes");
      ctx.write(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(error)));
      lingering = true;
    }
    ctx.write(msg, promise);
  }

  /**
   * After a close 1009, the decoder (and then Reactor Netty) close the connection at once, with the
   * rest of the client's message unread: that resets the connection, and a client still sending
   * loses both frames. Linger a moment first; the decoder discards what still comes.
   */
  @Override
  public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
    if (lingering) {
      // every close from now on: the decoder's, then Reactor Netty's when the handler ends
      ctx.executor().schedule(() -> ctx.close(promise), LINGER_MILLIS, TimeUnit.MILLISECONDS);
      return;
    }
    ctx.close(promise);
  }
}
