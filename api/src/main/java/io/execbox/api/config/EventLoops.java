package io.execbox.api.config;

import org.springframework.http.server.reactive.ServerHttpRequestDecorator;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;
import reactor.netty.Connection;

/**
 * The event loop of a request's connection. Work resumed from a database driver's thread is moved
 * back onto it before the response is written: Reactor Netty handles a connection's requests, its
 * WebSocket handshake and its next keep-alive request correctly only from its own loop.
 */
public final class EventLoops {
  private EventLoops() {}

  public static Scheduler of(ServerWebExchange exchange) {
    Object nativeRequest = ServerHttpRequestDecorator.getNativeRequest(exchange.getRequest());
    if (nativeRequest instanceof Connection c) {
      return Schedulers.fromExecutor(c.channel().eventLoop());
    }
    return Schedulers.immediate();
  }
}
