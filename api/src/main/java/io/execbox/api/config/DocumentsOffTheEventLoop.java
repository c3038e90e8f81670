package io.execbox.api.config;

import io.execbox.machines.BlockingPools;
import org.springframework.core.Ordered;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

/**
 * Runs the OpenAPI and Swagger UI routes off Netty's event loops: springdoc builds its document
 * with blocking calls (it scans the class path and reads class files) on the thread that asks for
 * it, and that must never be an event loop, which other clients' requests share. (The document is
 * also built at start, {@code springdoc.pre-loading-enabled}, so these requests are usually quick.)
 */
public final class DocumentsOffTheEventLoop implements WebFilter, Ordered {
  @Override
  public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
    String path = exchange.getRequest().getPath().pathWithinApplication().value();
    if (path.startsWith("/openapi") || path.startsWith("/swagger-ui") || path.startsWith("/v3/")) {
      return chain.filter(exchange).subscribeOn(BlockingPools.DOCUMENTS);
    }
    return chain.filter(exchange);
  }

  @Override
  public int getOrder() {
    return Ordered.HIGHEST_PRECEDENCE;
  }
}
