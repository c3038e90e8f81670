package io.execbox.api.problem;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.http.MediaType;
import org.springframework.http.server.reactive.ServerHttpResponse;
import reactor.core.publisher.Mono;

/** Writes RFC 9457 problem documents. */
public final class Problems {
  public static final MediaType PROBLEM_JSON = MediaType.APPLICATION_PROBLEM_JSON;

  private final ObjectMapper json;

  public Problems(ObjectMapper json) {
    this.json = json;
  }

  public Map<String, Object> body(ApiException e, String instance) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("type", "about:blank");
    body.put("title", e.title());
    body.put("status", e.status().value());
    body.put("detail", e.getMessage());
    if (instance != null) {
      body.put("instance", instance);
    }
    if (e.errors() != null && !e.errors().isEmpty()) {
      body.put("errors", e.errors());
    }
    return body;
  }

  /** Writes the problem as the whole response. */
  public Mono<Void> write(ServerHttpResponse response, ApiException e, String instance) {
    if (response.isCommitted()) {
      return Mono.empty();
    }
    response.setStatusCode(e.status());
    response.getHeaders().setContentType(PROBLEM_JSON);
    if (e.retryAfterSeconds() != null) {
      response.getHeaders().set("Retry-After", String.valueOf(e.retryAfterSeconds()));
    }
    byte[] bytes;
    try {
      bytes = json.writeValueAsBytes(body(e, instance));
    } catch (JsonProcessingException x) {
      bytes =
          ("{\"title\":\"" + e.title() + "\",\"status\":" + e.status().value() + "}").getBytes();
    }
    return response.writeWith(Mono.just(response.bufferFactory().wrap(bytes)));
  }
}
