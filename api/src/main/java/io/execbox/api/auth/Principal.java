package io.execbox.api.auth;

import org.springframework.web.server.ServerWebExchange;

/** The caller of an authenticated request: an account, through one of its keys. */
public record Principal(String accountId, String keyId) {
  static final String ATTRIBUTE = "execbox.principal";

  /** The key id of an attach forwarded by another replica (see {@link ForwardTokens}). */
  public static final String FORWARDED = "forwarded";

  /** Whether this request is an attach forwarded by another replica. */
  public boolean forwarded() {
    return FORWARDED.equals(keyId);
  }

  public static Principal of(ServerWebExchange exchange) {
    return exchange.getAttribute(ATTRIBUTE);
  }
}
