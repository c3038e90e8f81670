package io.execbox.api.problem;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.http.HttpStatus;
import org.springframework.transaction.CannotCreateTransactionException;

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
}
