package io.execbox.api.attach;

import io.execbox.api.auth.Principal;
import io.execbox.api.config.EventLoops;
import io.execbox.api.problem.ApiException;
import io.execbox.crds.SessionIds;
import io.execbox.store.Store;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.springframework.core.Ordered;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

/**
 * Authorises an attach before the WebSocket handshake: a session the caller's account does not own
 * is a 404 problem response, never an upgrade.
 */
public final class AttachFilter implements WebFilter, Ordered {
  private static final Pattern PATH = Pattern.compile("^/v1/sessions/([^/]+)/attach/?$");
  private final Store store;

  public AttachFilter(Store store) {
    this.store = store;
  }

  /** The session id of an attach path, or null. */
  static String sessionIdOf(String path) {
    Matcher m = PATH.matcher(path);
    return m.matches() && SessionIds.isValid(m.group(1)) ? m.group(1) : null;
  }

  @Override
  public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
    Matcher m = PATH.matcher(exchange.getRequest().getPath().value());
    if (!m.matches()) {
      return chain.filter(exchange);
    }
    Principal p = Principal.of(exchange);
    String id = m.group(1);
    if (p == null) {
      return Mono.error(ApiException.unauthorized());
    }
    if (!SessionIds.isValid(id)) {
      return Mono.error(ApiException.notFound("session " + id));
    }
    return store
        .sessions()
        .find(p.accountId(), id)
        .switchIfEmpty(Mono.error(ApiException.notFound("session " + id)))
        // back onto the connection's own event loop: a handshake completed from another thread
        // races the client's first frames, which Reactor Netty then drops (see reactor-netty#1089)
        .publishOn(EventLoops.of(exchange))
        .flatMap(row -> chain.filter(exchange));
  }

  @Override
  public int getOrder() {
    return -90;
  }
}
