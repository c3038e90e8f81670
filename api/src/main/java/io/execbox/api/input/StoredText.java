package io.execbox.api.input;

import com.fasterxml.jackson.databind.JsonNode;
import io.execbox.api.problem.ApiException.FieldError;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The one rule for text that reaches PostgreSQL: no NUL character. PostgreSQL refuses {@code
 * \\u0000} in text and jsonb, so such a request would fail in the database and look like an outage
 * (503) when it is the client's error (422, naming the field).
 */
public final class StoredText {
  static final String MESSAGE = "must not contain the NUL character (\\u0000)";

  private StoredText() {}

  /** Whether PostgreSQL can store the string as text. */
  public static boolean storable(String s) {
    return s == null || s.indexOf('\0') < 0;
  }

  /** Adds an error for a string that cannot be stored. */
  public static void check(String s, String location, List<FieldError> errors) {
    if (!storable(s)) {
      errors.add(new FieldError(location + " " + MESSAGE, location, null));
    }
  }

  /**
   * Adds an error for every string and every key in the tree that cannot be stored; a file's
   * content is told to use base64 for binary bytes.
   */
  public static void checkTree(JsonNode n, String location, List<FieldError> errors) {
    if (n == null) {
      return;
    }
    if (n.isTextual()) {
      if (!storable(n.textValue())) {
        String hint = location.endsWith(".content") ? "; send binary content as base64" : "";
        errors.add(new FieldError(location + " " + MESSAGE + hint, location, null));
      }
      return;
    }
    if (n.isArray()) {
      for (int i = 0; i < n.size(); i++) {
        checkTree(n.get(i), location + "[" + i + "]", errors);
      }
      return;
    }
    Iterator<Map.Entry<String, JsonNode>> fields = n.fields();
    while (fields.hasNext()) {
      Map.Entry<String, JsonNode> f = fields.next();
      String at = location + "." + f.getKey().replace("\0", "\\u0000");
      if (!storable(f.getKey())) {
        errors.add(new FieldError("a key " + MESSAGE, at, null));
      }
      checkTree(f.getValue(), at, errors);
    }
  }
}
