package io.execbox.api.auth;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Short-lived tokens with which an api replica forwards an attach it has authorised to the process
 * holding the session's stdio, instead of the client's own key: what leaves the api is good for one
 * session's attach for a minute, and is signed with a secret the installation's replicas share
 * through their database ({@code installation_secrets}). A token is {@code <sessionId>.<expiry
 * epoch seconds>.<HMAC-SHA256, base64url>}.
 */
public final class ForwardTokens {
  /** The request header that carries a token. */
  public static final String HEADER = "X-Execbox-Forward-Token";

  static final Duration VALIDITY = Duration.ofSeconds(60);
  private static final String ALGORITHM = "HmacSHA256";

  private final SecretKeySpec key;

  /**
   * @param secret at least 32 characters
   */
  public ForwardTokens(String secret) {
    if (secret == null || secret.length() < 32) {
      throw new IllegalArgumentException("the internal secret needs at least 32 characters");
    }
    this.key = new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), ALGORITHM);
  }

  /** A token for attaching to {@code sessionId}, valid for a minute from {@code now}. */
  public String issue(String sessionId, Instant now) {
    long expiry = now.plus(VALIDITY).getEpochSecond();
    return sessionId + "." + expiry + "." + mac(sessionId, expiry);
  }

  /** The session a token is good for at {@code now}, or null (malformed, forged or expired). */
  public String sessionOf(String token, Instant now) {
    if (token == null) {
      return null;
    }
    String[] parts = token.split("\\.", -1);
    if (parts.length != 3 || parts[0].isEmpty()) {
      return null;
    }
    long expiry;
    try {
      expiry = Long.parseLong(parts[1]);
    } catch (NumberFormatException e) {
      return null;
    }
    byte[] want = mac(parts[0], expiry).getBytes(StandardCharsets.US_ASCII);
    if (!MessageDigest.isEqual(want, parts[2].getBytes(StandardCharsets.US_ASCII))) {
      return null;
    }
    return now.getEpochSecond() <= expiry ? parts[0] : null;
  }

  private String mac(String sessionId, long expiry) {
    try {
      Mac m = Mac.getInstance(ALGORITHM);
      m.init(key);
      byte[] sig =
          m.doFinal(("attach:" + sessionId + ":" + expiry).getBytes(StandardCharsets.UTF_8));
      return Base64.getUrlEncoder().withoutPadding().encodeToString(sig);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }
}
