package io.execbox.api.sessions;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The shape of an image reference, as the Docker and OCI distribution grammar has it: {@code
 * [host[:port]/]path[:tag][@algorithm:hex]}. A reference outside it can never be pulled or run, so
 * it is refused up front (422) rather than by the runtime on every retry until the deadline.
 */
final class ImageReference {
  /** The distribution grammar's limit on the name (host and path, without tag or digest). */
  static final int MAX_NAME = 255;

  /** Room for the longest name, tag and sha512 digest. */
  static final int MAX_REFERENCE = 512;

  private static final String DOMAIN_COMPONENT =
      "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
  private static final String DOMAIN =
      DOMAIN_COMPONENT + "(?:\\." + DOMAIN_COMPONENT + ")*(?::[0-9]+)?";
  private static final String PATH_COMPONENT = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
  private static final String TAG = "[\\w][\\w.-]{0,127}";
  private static final String DIGEST =
      "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}";
  private static final Pattern REFERENCE =
      Pattern.compile(
          "((?:"
              + DOMAIN
              + "/)?"
              + PATH_COMPONENT
              + "(?:/"
              + PATH_COMPONENT
              + ")*)(?::"
              + TAG
              + ")?(?:@"
              + DIGEST
              + ")?");

  private ImageReference() {}

  /** Why the reference is not one, or null when it is. */
  static String problem(String reference) {
    if (reference.length() > MAX_REFERENCE) {
      return "image must be at most " + MAX_REFERENCE + " characters";
    }
    Matcher m = REFERENCE.matcher(reference);
    if (!m.matches()) {
      return "image is not a valid image reference: [registry[:port]/]name[:tag][@digest], the"
          + " name in lower case";
    }
    if (m.group(1).length() > MAX_NAME) {
      return "image name (without tag or digest) must be at most " + MAX_NAME + " characters";
    }
    return null;
  }
}
