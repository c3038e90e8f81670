package io.execbox.crds;

import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * Session ids are {@code sess_} + lowercase hex: {@link #newId} makes 24 digits, {@link #isValid}
 * accepts 16 to 64 (ids made elsewhere, such as for a Session applied with kubectl, may differ in
 * length). The Kubernetes object is {@code sess-<hex>}.
 */
public final class SessionIds {
  private static final SecureRandom RANDOM = new SecureRandom();

  /** The form of a session id, as a regular expression. */
  public static final String PATTERN = "sess_[0-9a-f]{16,64}";

  private static final Pattern ID = Pattern.compile(PATTERN);

  private SessionIds() {}

  public static String newId() {
    byte[] b = new byte[12];
    RANDOM.nextBytes(b);
    return "sess_" + HexFormat.of().formatHex(b);
  }

  public static boolean isValid(String id) {
    return id != null && ID.matcher(id).matches();
  }

  /** The name of the machine / Kubernetes object for a session id. */
  public static String objectName(String id) {
    return "sess-" + id.substring("sess_".length());
  }
}
