package io.execbox.api.problem;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.execbox.api.problem.ApiException.FieldError;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.mock.http.server.reactive.MockServerHttpResponse;

/** The RFC 9457 documents every error is answered with. */
class ProblemsTest {
  static final ObjectMapper JSON = new ObjectMapper();
  final Problems problems = new Problems(JSON);

  @Test
  void aProblemHasTypeTitleStatusDetailAndInstance() {
    assertThat(problems.body(ApiException.notFound("session sess_1"), "/v1/sessions/sess_1"))
        .containsExactly(
            java.util.Map.entry("type", "about:blank"),
            java.util.Map.entry("title", "Not Found"),
            java.util.Map.entry("status", 404),
            java.util.Map.entry("detail", "session sess_1 does not exist"),
            java.util.Map.entry("instance", "/v1/sessions/sess_1"));
  }

  @Test
  void instanceAndErrorsAppearOnlyWhenThereAreSome() {
    assertThat(problems.body(ApiException.conflict("ended"), null))
        .containsOnlyKeys("type", "title", "status", "detail");
    assertThat(problems.body(ApiException.invalid(List.of()), null)).doesNotContainKey("errors");
  }

  @Test
  void aBadFieldIsTheDetailAndSeveralAreCounted() {
    FieldError image = new FieldError("image is required", "body.image", null);
    FieldError net = new FieldError("network must be none, outgoing or exposed", "body.network", 1);
    assertThat(problems.body(ApiException.invalid(List.of(image)), null))
        .containsEntry("status", 422)
        .containsEntry("title", "Unprocessable Entity")
        .containsEntry("detail", "image is required")
        .containsEntry("errors", List.of(image));
    assertThat(problems.body(ApiException.invalid(List.of(image, net)), null))
        .containsEntry("detail", "2 fields are invalid")
        .containsEntry("errors", List.of(image, net));
  }

  @Test
  void theResponseIsProblemJsonWithTheStatusAndItsBody() throws Exception {
    MockServerHttpResponse response = new MockServerHttpResponse();
    ApiException e =
        ApiException.invalid(
            List.of(new FieldError("limit must be from 1 to 100", "query.limit", "0")));
    problems.write(response, e, "/v1/sessions").block(Duration.ofSeconds(5));
    assertThat(response.getStatusCode()).isEqualTo(HttpStatus.UNPROCESSABLE_ENTITY);
    assertThat(response.getHeaders().getContentType())
        .isEqualTo(MediaType.APPLICATION_PROBLEM_JSON);
    assertThat(response.getHeaders().containsKey("Retry-After")).isFalse();
    JsonNode body = JSON.readTree(response.getBodyAsString().block(Duration.ofSeconds(5)));
    assertThat(body)
        .isEqualTo(
            JSON.readTree(
                ("{'type':'about:blank','title':'Unprocessable Entity','status':422,"
                        + "'detail':'limit must be from 1 to 100','instance':'/v1/sessions',"
                        + "'errors':[{'message':'limit must be from 1 to 100',"
                        + "'location':'query.limit','value':'0'}]}")
                    .replace('\'', '"')));
  }

  @Test
  void aRetryableProblemSaysWhenToRetry() {
    MockServerHttpResponse response = new MockServerHttpResponse();
    problems
        .write(response, ApiException.unavailable("db down"), null)
        .block(Duration.ofSeconds(5));
    assertThat(response.getStatusCode()).isEqualTo(HttpStatus.SERVICE_UNAVAILABLE);
    assertThat(response.getHeaders().getFirst("Retry-After")).isEqualTo("5");
  }

  @Test
  void aResponseAlreadyCommittedIsLeftAsItIs() {
    MockServerHttpResponse response = new MockServerHttpResponse();
    response.setStatusCode(HttpStatus.OK);
    response
        .writeWith(
            reactor.core.publisher.Mono.just(
                response.bufferFactory().wrap("partial".getBytes(StandardCharsets.UTF_8))))
        .block(Duration.ofSeconds(5));
    problems.write(response, ApiException.conflict("late"), null).block(Duration.ofSeconds(5));
    assertThat(response.getStatusCode()).isEqualTo(HttpStatus.OK);
    assertThat(response.getBodyAsString().block(Duration.ofSeconds(5))).isEqualTo("partial");
  }

  @Test
  void theDocumentedShapeHasEveryFieldAProblemCanCarry() {
    FieldError e = new FieldError("m", "body.x", null);
    java.util.Set<String> documented =
        java.util.Arrays.stream(ProblemDocument.class.getRecordComponents())
            .map(java.lang.reflect.RecordComponent::getName)
            .collect(java.util.stream.Collectors.toSet());
    assertThat(documented)
        .containsAll(problems.body(ApiException.invalid(List.of(e)), "/v1/sessions").keySet());
  }
}
