package io.execbox.api.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * API keys: {@code sk_} + 43 random URL-safe characters (256 bits). Only their SHA-256 is stored:
 * the keys are random, so a slow hash would add nothing but latency.
 */
public final class ApiKeys {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Pattern FORMAT = Pattern.compile("sk_[A-Za-z0-9_-]{32,200}");

  private ApiKeys() {}

  public static String newKey() {
    byte[] b = new byte[32];
    RANDOM.nextBytes(b);
    return "sk_" + Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  public static boolean wellFormed(String key) {
    return key != null && FORMAT.matcher(key).matches();
  }

  public static String hash(String key) {
    try {
      MessageDigest d = MessageDigest.getInstance("SHA-256");
      return HexFormat.of().formatHex(d.digest(key.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** What may be shown of a key after its creation: enough to tell keys apart. */
  public static String prefix(String key) {
    return key.substring(0, Math.min(key.length(), 7));
  }

  public static String newId(String kind) {
    byte[] b = new byte[8];
    RANDOM.nextBytes(b);
    return kind + "_" + HexFormat.of().formatHex(b);
  }
}
