package io.execbox.api.problem;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.springframework.core.codec.DecodingException;
import org.springframework.core.io.buffer.DataBufferLimitException;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.transaction.CannotCreateTransactionException;
import org.springframework.web.server.MethodNotAllowedException;
import org.springframework.web.server.ResponseStatusException;
import org.springframework.web.server.ServerWebInputException;
import org.springframework.web.server.UnsupportedMediaTypeStatusException;

class ProblemExceptionHandlerTest {
  @Test
  void aDatabaseThatFailsOrCannotBeReachedIs503WithRetryAfterNever500() {
    for (Throwable e :
        new Throwable[] {
          new DataAccessResourceFailureException("connection lost during commit"),
          new CannotCreateTransactionException("no connection"),
          new IllegalStateException(
              "wrapped", new DataAccessResourceFailureException("connection lost"))
        }) {
      ApiException p = ProblemExceptionHandler.toProblem(e);
      assertThat(p.status()).as(e.toString()).isEqualTo(HttpStatus.SERVICE_UNAVAILABLE);
      assertThat(p.getMessage()).doesNotContain("connection lost");
    }
  }

  @Test
  void anythingElseUnexpectedStaysA500ThatSaysNothingOfItsCause() {
    ApiException p = ProblemExceptionHandler.toProblem(new IllegalStateException("secret detail"));
    assertThat(p.status()).isEqualTo(HttpStatus.INTERNAL_SERVER_ERROR);
    assertThat(p.getMessage()).doesNotContain("secret detail");
  }

  @Test
  void anApiExceptionIsAnsweredAsItIs() {
    ApiException e = ApiException.conflict("session sess_1 already ended: killed");
    assertThat(ProblemExceptionHandler.toProblem(e)).isSameAs(e);
  }

  @Test
  void aBodyOverTheLimitIs413() {
    ApiException p =
        ProblemExceptionHandler.toProblem(
            new ServerWebInputException(
                "read failed", null, new DataBufferLimitException("over 1048576 bytes")));
    assertThat(p.status()).isEqualTo(HttpStatus.PAYLOAD_TOO_LARGE);
    assertThat(p.getMessage()).isEqualTo("the request body is too large");
  }

  @Test
  void aBodyThatIsNotJsonOrNotOfTheExpectedShapeIs400SayingWhich() throws Exception {
    ObjectMapper json = new ObjectMapper();
    Exception notJson = null;
    try {
      json.readTree("{");
    } catch (JsonProcessingException e) {
      notJson = e;
    }
    Exception wrongShape = null;
    try {
      json.readValue("[1]", Shape.class);
    } catch (JsonProcessingException e) {
      wrongShape = e;
    }
    ApiException a =
        ProblemExceptionHandler.toProblem(new DecodingException("JSON decoding error", notJson));
    assertThat(a.status()).isEqualTo(HttpStatus.BAD_REQUEST);
    assertThat(a.getMessage()).isEqualTo("the request body is not valid JSON");
    ApiException b =
        ProblemExceptionHandler.toProblem(
            new ServerWebInputException("bad", null, new DecodingException("x", wrongShape)));
    assertThat(b.status()).isEqualTo(HttpStatus.BAD_REQUEST);
    assertThat(b.getMessage()).isEqualTo("the request body does not have the expected shape");
  }

  record Shape(String name) {}

  @Test
  void theFrameworksOwnRefusalsKeepTheirStatus() {
    assertThat(
            ProblemExceptionHandler.toProblem(new UnsupportedMediaTypeStatusException("text/plain"))
                .status())
        .isEqualTo(HttpStatus.UNSUPPORTED_MEDIA_TYPE);
    assertThat(
            ProblemExceptionHandler.toProblem(
                    new MethodNotAllowedException("PUT", java.util.List.of(HttpMethod.GET)))
                .status())
        .isEqualTo(HttpStatus.METHOD_NOT_ALLOWED);
    ApiException notFound =
        ProblemExceptionHandler.toProblem(
            new ResponseStatusException(HttpStatus.NOT_FOUND, "No static resource v1/nope."));
    assertThat(notFound.status()).isEqualTo(HttpStatus.NOT_FOUND);
    assertThat(notFound.getMessage()).isEqualTo("no such resource");
  }
}
