package io.execbox.api.auth;

import io.execbox.api.config.EventLoops;
import io.execbox.api.problem.ApiException;
import io.execbox.store.ApiKeyRow;
import io.execbox.store.Store;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.Ordered;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

/**
 * Authenticates {@code /v1/**} (the WebSocket upgrade included) and applies the rate limits.
 * Missing, malformed, unknown and revoked keys all get the same 401; the key never reaches a log. A
 * key's requests count against its own limit and its account's, per installation: the counters are
 * in PostgreSQL, raised in the statement that looks the key up, so whichever replica a request
 * reaches, the installation allows each limit once. Unauthenticated routes and failed
 * authentications are limited per client address, in this replica's memory.
 */
public final class AuthFilter implements WebFilter, Ordered {
  private static final Logger log = LoggerFactory.getLogger(AuthFilter.class);

  private final Store store;
  private final int perKey;
  private final int perAccount;
  private final RateLimiter perIp;
  private final String adminToken;
  private final Clock clock;
  private final ForwardTokens forwardTokens;

  /**
   * @param perKey requests per minute per key
   * @param perAccount requests per minute per account, all its keys together
   * @param forwardTokens verifies attaches forwarded by another replica
   */
  public AuthFilter(
      Store store,
      int perKey,
      int perAccount,
      RateLimiter perIp,
      String adminToken,
      Clock clock,
      ForwardTokens forwardTokens) {
    this.store = store;
    this.forwardTokens = forwardTokens;
    this.perKey = perKey;
    this.perAccount = perAccount;
    this.perIp = perIp;
    this.adminToken = adminToken == null || adminToken.isBlank() ? null : adminToken;
    this.clock = clock;
  }

  @Override
  public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
    String path = exchange.getRequest().getPath().value();
    if (path.startsWith("/v1/admin/") || path.equals("/v1/admin")) {
      return admin(exchange, chain);
    }
    if (!path.startsWith("/v1/") && !path.equals("/v1")) {
      RateLimiter.Decision d = perIp.hit("ip:" + clientIp(exchange));
      rateHeaders(exchange, d);
      if (!d.allowed()) {
        return Mono.error(limited(d));
      }
      return chain.filter(exchange);
    }
    String token = exchange.getRequest().getHeaders().getFirst(ForwardTokens.HEADER);
    if (token != null) {
      return forwarded(exchange, chain, path, token);
    }
    String key = bearer(exchange);
    if (!ApiKeys.wellFormed(key)) {
      return deny(exchange, key == null ? "no bearer key" : "malformed key");
    }
    return store
        .rateCounters()
        .useKey(ApiKeys.hash(key))
        .publishOn(EventLoops.of(exchange))
        .switchIfEmpty(
            Mono.defer(() -> deny(exchange, "unknown or revoked key").then(Mono.empty())))
        .flatMap(
            use -> {
              RateLimiter.Decision ofKey =
                  RateLimiter.judge(use.keyHits(), perKey, use.windowStart());
              RateLimiter.Decision account =
                  RateLimiter.judge(use.accountHits(), perAccount, use.windowStart());
              RateLimiter.Decision d = RateLimiter.tighter(ofKey, account);
              rateHeaders(exchange, d);
              if (use.keyHits() == 1) {
                // once per key and minute: the windows before the last go
                store.rateCounters().forgetOldWindows().subscribe(null, e -> {});
              }
              if (!ofKey.allowed()) {
                return Mono.error(limited(ofKey, "this key"));
              }
              if (!account.allowed()) {
                return Mono.error(limited(account, "this account (all its keys together)"));
              }
              ApiKeyRow k = use.key();
              exchange
                  .getAttributes()
                  .put(Principal.ATTRIBUTE, new Principal(k.accountId(), k.id()));
              store.accounts().touchKey(k.id()).subscribe(null, e -> {});
              return chain.filter(exchange);
            });
  }

  /**
   * An attach another replica authorised and forwarded here with a token for that one session: the
   * caller is the session's account (the replica counted the request against its key's limit).
   */
  private Mono<Void> forwarded(
      ServerWebExchange exchange, WebFilterChain chain, String path, String token) {
    String id = forwardTokens == null ? null : forwardTokens.sessionOf(token, clock.instant());
    if (id == null
        || !(path.equals("/v1/sessions/" + id + "/attach")
            || path.equals("/v1/sessions/" + id + "/attach/"))) {
      return deny(exchange, "bad forward token");
    }
    return store
        .sessions()
        .findById(id)
        .publishOn(EventLoops.of(exchange))
        .switchIfEmpty(Mono.defer(() -> deny(exchange, "no such session").then(Mono.empty())))
        .flatMap(
            row -> {
              exchange
                  .getAttributes()
                  .put(Principal.ATTRIBUTE, new Principal(row.accountId(), Principal.FORWARDED));
              return chain.filter(exchange);
            });
  }

  private Mono<Void> admin(ServerWebExchange exchange, WebFilterChain chain) {
    if (adminToken == null) {
      return Mono.error(ApiException.notFound("route " + exchange.getRequest().getPath().value()));
    }
    RateLimiter.Decision d = perIp.hit("admin:" + clientIp(exchange));
    rateHeaders(exchange, d);
    if (!d.allowed()) {
      return Mono.error(limited(d));
    }
    String token = bearer(exchange);
    if (token == null
        || !MessageDigest.isEqual(
            token.getBytes(StandardCharsets.UTF_8), adminToken.getBytes(StandardCharsets.UTF_8))) {
      return deny(exchange, "bad admin token");
    }
    return chain.filter(exchange);
  }

  private Mono<Void> deny(ServerWebExchange exchange, String why) {
    String ip = clientIp(exchange);
    log.info(
        "authentication failed from {} on {}: {}",
        ip,
        exchange.getRequest().getPath().value(),
        why);
    // the limit a client without a valid key is held to: that of its IP's failed attempts
    RateLimiter.Decision d = perIp.hit("auth-fail:" + ip);
    rateHeaders(exchange, d);
    if (!d.allowed()) {
      return Mono.error(limited(d));
    }
    return Mono.error(ApiException.unauthorized());
  }

  /** The limit the request was counted against, on every answer (a refusal included). */
  private static void rateHeaders(ServerWebExchange exchange, RateLimiter.Decision d) {
    HttpHeaders h = exchange.getResponse().getHeaders();
    h.set("X-RateLimit-Limit", String.valueOf(d.limit()));
    h.set("X-RateLimit-Remaining", String.valueOf(d.remaining()));
    h.set("X-RateLimit-Reset", String.valueOf(d.resetEpochSeconds()));
  }

  private ApiException limited(RateLimiter.Decision d) {
    return limited(d, null);
  }

  private ApiException limited(RateLimiter.Decision d, String whose) {
    return new ApiException(
        HttpStatus.TOO_MANY_REQUESTS,
        "Too Many Requests",
        "rate limit of "
            + d.limit()
            + " requests per minute"
            + (whose == null ? "" : " for " + whose)
            + " exceeded",
        null,
        d.retryAfterSeconds(clock));
  }

  private static String bearer(ServerWebExchange exchange) {
    String h = exchange.getRequest().getHeaders().getFirst(HttpHeaders.AUTHORIZATION);
    if (h == null || h.length() < 7 || !h.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return null;
    }
    return h.substring(7).trim();
  }

  private static String clientIp(ServerWebExchange exchange) {
    InetSocketAddress a = exchange.getRequest().getRemoteAddress();
    return a == null || a.getAddress() == null ? "unknown" : a.getAddress().getHostAddress();
  }

  @Override
  public int getOrder() {
    return -100;
  }
}
