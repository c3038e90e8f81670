package io.execbox.api.problem;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.nio.charset.StandardCharsets;

/**
 * Gives the answers Netty makes on its own — a request it could not decode (a request line over the
 * limit: 414, headers over it: 431, anything not HTTP/1.1: 400), answered before any Spring code
 * runs — an RFC 9457 body like every other error, instead of an empty one.
 *
 * <p>Reactor Netty still decides the status, writes the answer in its turn (after the answers to
 * requests before it on the connection) and closes the connection; this handler, between the HTTP
 * codec and Reactor Netty's, only fills in the body of that one answer. One per connection.
 */
public final class UnreadableRequests extends ChannelDuplexHandler {
  /** Its name in the channel pipeline. */
  public static final String NAME = "execbox.unreadableRequests";

  private boolean refusing;

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof HttpRequest r && r.decoderResult().isFailure()) {
      refusing = true;
    }
    ctx.fireChannelRead(msg);
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    if (refusing
        && msg instanceof FullHttpResponse r
        && r.status().code() >= 400
        && r.content().readableBytes() == 0) {
      refusing = false;
      byte[] body = problem(r.status()).getBytes(StandardCharsets.UTF_8);
      FullHttpResponse withBody = r.replace(Unpooled.wrappedBuffer(body));
      r.release();
      withBody.headers().set(HttpHeaderNames.CONTENT_TYPE, Problems.PROBLEM_JSON.toString());
      withBody.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
      ctx.write(withBody, promise);
      return;
    }
    ctx.write(msg, promise);
  }

  static String problem(HttpResponseStatus status) {
    String detail =
        switch (status.code()) {
          case 414 -> "the request line (method, path and query) is too long";
          case 431 -> "the request's headers are too large";
          default -> "the request is not valid HTTP/1.1";
        };
    return "{\"type\":\"about:blank\",\"title\":\""
        + status.reasonPhrase()
        + "\",\"status\":"
        + status.code()
        + ",\"detail\":\""
        + detail
        + "\"}";
  }
}
