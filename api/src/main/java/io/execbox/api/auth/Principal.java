package io.execbox.api.auth;

import org.springframework.web.server.ServerWebExchange;

/** The caller of an authenticated request: an account, through one of its keys. */
public record Principal(String accountId, String keyId) {
  static final String ATTRIBUTE = "execbox.principal";

  public static Principal of(ServerWebExchange exchange) {
    return exchange.getAttribute(ATTRIBUTE);
  }
}
