package io.execbox.machines.agent;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Each session's agent secret, derived from the installation's agent key and the session id, so
 * that any replica of an installation can reach any session's agent and nothing is stored.
 */
public final class AgentSecrets {
  private AgentSecrets() {}

  /** HMAC-SHA256 of the session id under {@code key}, in hex (64 ASCII bytes). */
  public static String derive(byte[] key, String sessionId) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return HexFormat.of().formatHex(mac.doFinal(sessionId.getBytes(StandardCharsets.UTF_8)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }
}
