package io.execbox.api.input;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import io.execbox.api.problem.ApiException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Map;

/**
 * Reads a request body as exactly one JSON value in strict UTF-8. What Spring's decoders would
 * repair or ignore is the client's error (400): bytes that are not UTF-8 (they would be stored as
 * {@code �}), a lone surrogate written as a {@code \\uD800} escape (PostgreSQL cannot store it),
 * and anything but white space after the value ({@code {…}}}} }, two objects).
 */
public final class JsonBodies {
  private final ObjectReader reader;

  public JsonBodies(ObjectMapper json) {
    this.reader = json.reader().with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
  }

  /** The body's JSON tree, or null when there is no body (or only white space). */
  public JsonNode read(byte[] body) {
    if (body == null) {
      return null;
    }
    String text;
    try {
      text =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(body))
              .toString();
    } catch (CharacterCodingException e) {
      throw ApiException.badRequest("the request body is not valid UTF-8");
    }
    if (text.isBlank()) {
      return null;
    }
    JsonNode tree;
    try {
      tree = reader.readTree(text);
    } catch (JsonProcessingException e) {
      throw ApiException.badRequest(
          e.getMessage() != null && e.getMessage().startsWith("Trailing token")
              ? "the request body has more after its JSON value"
              : "the request body is not valid JSON");
    }
    String at = loneSurrogate(tree, "body");
    if (at != null) {
      throw ApiException.badRequest(
          at + " holds a lone UTF-16 surrogate (an unpaired \\uD800-\\uDFFF escape)");
    }
    return tree;
  }

  /** Where the tree has a string or a key with an unpaired surrogate, or null. */
  static String loneSurrogate(JsonNode n, String at) {
    if (n.isTextual()) {
      return hasLoneSurrogate(n.textValue()) ? at : null;
    }
    if (n.isArray()) {
      for (int i = 0; i < n.size(); i++) {
        String found = loneSurrogate(n.get(i), at + "[" + i + "]");
        if (found != null) {
          return found;
        }
      }
    }
    Iterator<Map.Entry<String, JsonNode>> fields = n.fields();
    while (fields.hasNext()) {
      Map.Entry<String, JsonNode> f = fields.next();
      if (hasLoneSurrogate(f.getKey())) {
        return at + " (a key)";
      }
      String found = loneSurrogate(f.getValue(), at + "." + f.getKey());
      if (found != null) {
        return found;
      }
    }
    return null;
  }

  static boolean hasLoneSurrogate(String s) {
    for (int i = 0; i < s.length(); i++) {
      char ch = s.charAt(i);
      if (Character.isHighSurrogate(ch)
          && i + 1 < s.length()
          && Character.isLowSurrogate(s.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(ch)) {
        return true;
      }
    }
    return false;
  }
}
