package io.execbox.machines.docker;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * A whole answer of the Engine API.
 *
 * @param status the HTTP status
 * @param headers header names in lower case; repeated headers joined with commas
 * @param body the decoded body
 */
public record HttpResponse(int status, Map<String, String> headers, byte[] body) {
  private static final int MAX_MESSAGE = 500;

  public boolean ok() {
    return status >= 200 && status < 300;
  }

  public String text() {
    return new String(body, StandardCharsets.UTF_8);
  }

  public JsonNode json(ObjectMapper mapper) {
    try {
      return mapper.readTree(body);
    } catch (IOException e) {
      throw new UncheckedIOException("unparsable JSON from the container runtime", e);
    }
  }

  /**
   * The runtime's own words on an error, on one line: the {@code message} of its JSON error body,
   * else the text of the body, without what only the runtime's developers read.
   */
  public String message() {
    String text = text().strip();
    if (text.startsWith("{")) {
      try {
        JsonNode m = new ObjectMapper().readTree(text).path("message");
        if (m.isTextual()) {
          text = m.asText();
        }
      } catch (IOException ignored) {
        // Not JSON after all: the text is the message.
      }
    }
    text = text.replaceAll("\\s+", " ").strip();
    // Podman puts a dump of its copier request (kilobytes of Go structure) before the cause,
    // which would be all that is left after the cut below
    int dump = text.lastIndexOf("}: ");
    if (dump >= 0 && text.indexOf('{') < dump) {
      text = text.substring(dump + 3);
    }
    if (text.isEmpty()) {
      return "HTTP " + status;
    }
    return text.length() > MAX_MESSAGE ? text.substring(0, MAX_MESSAGE) + "…" : text;
  }
}
