package io.execbox.api.attach;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.springframework.dao.DataAccessResourceFailureException;

/** The error frame of an attach that failed says what a client can act on, in our words. */
class AttachFailureTest {
  @Test
  void aDatabaseOutageIsSaidPlainlyWithoutTheDriversWords() {
    String text =
        AttachHandler.failure(
            new IllegalStateException(
                new DataAccessResourceFailureException("Failed to obtain R2DBC Connection")));
    assertThat(text).isEqualTo("attach failed: the database is unavailable; attach again shortly");
    assertThat(text).doesNotContain("R2DBC");
  }

  @Test
  void otherFailuresKeepTheirMessage() {
    assertThat(AttachHandler.failure(new IllegalStateException("no such machine")))
        .isEqualTo("attach failed: no such machine");
  }
}
