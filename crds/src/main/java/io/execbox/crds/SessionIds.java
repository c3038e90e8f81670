package io.execbox.crds;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * Session ids are {@code sess_} + lowercase hex: {@link #newId} makes 24 digits, {@link #isValid}
 * accepts 16 to 64 (ids made elsewhere, such as for a Session applied with kubectl, may differ in
 * length). The API names a session's Session resource {@code sess-<hex>} ({@link #objectName}); a
 * resource named otherwise (by a kubectl user) has an id derived from its uid ({@link
 * #ofResource}). Machines (Pod, Secret, Service) are always named from the id.
 */
public final class SessionIds {
  private static final SecureRandom RANDOM = new SecureRandom();

  /** The form of a session id, as a regular expression. */
  public static final String PATTERN = "sess_[0-9a-f]{16,64}";

  private static final Pattern ID = Pattern.compile(PATTERN);

  /** Hex digits of a uid's SHA-256 in the id derived from it: as many as {@link #newId} makes. */
  private static final int DERIVED_DIGITS = 24;

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

  /**
   * The session id of a Session resource: the one its name carries when it is named as the API
   * names them ({@code sess-<hex>}); otherwise {@code sess_} and the first 24 hex digits of the
   * SHA-256 of its uid, the same on every call, so a retried reconcile or a restarted operator
   * finds the row it made (a resource deleted and applied again has a new uid: a new session). Null
   * when it has neither (not a stored object).
   */
  public static String ofResource(String name, String uid) {
    if (name != null && name.startsWith("sess-")) {
      String id = "sess_" + name.substring("sess-".length());
      if (isValid(id)) {
        return id;
      }
    }
    return uid == null || uid.isEmpty() ? null : fromUid(uid);
  }

  /** {@code sess_} and the first 24 hex digits of the SHA-256 of {@code uid}. */
  static String fromUid(String uid) {
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256").digest(uid.getBytes(StandardCharsets.UTF_8));
      return "sess_" + HexFormat.of().formatHex(digest).substring(0, DERIVED_DIGITS);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }
}
