package io.execbox.api.sessions;

import static org.assertj.core.api.Assertions.assertThat;

import io.execbox.crds.SessionSpec;
import io.swagger.v3.core.converter.ModelConverters;
import io.swagger.v3.oas.models.media.Schema;
import java.math.BigDecimal;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The create request as the OpenAPI document describes it: the ranges the validator enforces. The
 * server serves OpenAPI 3.1, whose schemas name their types differently from 3.0's: every check
 * runs on both.
 */
class SessionSpecSchemasTest {
  static final boolean[] OPENAPI_31 = {true, false};

  @SuppressWarnings("rawtypes")
  static Map<String, Schema> described(boolean openapi31) {
    Map<String, Schema> schemas = ModelConverters.getInstance(openapi31).readAll(SessionSpec.class);
    SessionSpecSchemas.describe(schemas);
    return schemas;
  }

  @SuppressWarnings("rawtypes")
  static Schema property(boolean openapi31, String schema, String name) {
    return (Schema) described(openapi31).get(schema).getProperties().get(name);
  }

  static BigDecimal n(long v) {
    return BigDecimal.valueOf(v);
  }

  @Test
  void theImageIsRequiredAndBounded() {
    for (boolean v : OPENAPI_31) {
      assertThat(described(v).get("SessionSpec").getRequired()).containsExactly("image");
      Schema<?> image = property(v, "SessionSpec", "image");
      assertThat(image.getMinLength()).as("3.1: %s", v).isEqualTo(1);
      assertThat(image.getMaxLength()).isEqualTo(512);
      assertThat(image.getDescription()).startsWith("Container image");
    }
  }

  @Test
  void aFilePathHasItsLengthAndForm() {
    for (boolean v : OPENAPI_31) {
      assertThat(property(v, "FileSpec", "path").getMaxLength()).as("3.1: %s", v).isEqualTo(1024);
      assertThat(property(v, "FileSpec", "path").getPattern()).isEqualTo("^/.*[^/]$");
      assertThat(described(v).get("FileSpec").getRequired())
          .containsExactlyInAnyOrder("path", "content");
    }
  }

  @Test
  void eachLimitHasTheRangeTheValidatorChecks() {
    for (boolean v : OPENAPI_31) {
      assertThat(property(v, "ResourceSpec", "cpuMillis").getMinimum()).isEqualTo(n(100));
      assertThat(property(v, "ResourceSpec", "cpuMillis").getMaximum()).isEqualTo(n(8000));
      assertThat(property(v, "ResourceSpec", "memoryMB").getMinimum()).isEqualTo(n(128));
      assertThat(property(v, "ResourceSpec", "memoryMB").getMaximum()).isEqualTo(n(8192));
      assertThat(property(v, "ResourceSpec", "timeoutMs").getMinimum()).isEqualTo(n(1000));
      assertThat(property(v, "ResourceSpec", "timeoutMs").getMaximum()).isEqualTo(n(300000));
      assertThat(property(v, "PortSpec", "container").getMaximum()).isEqualTo(n(65535));
      assertThat(described(v).get("PortSpec").getRequired()).containsExactly("container");
    }
  }

  @Test
  void listsCarryTheValidatorsOwnLimits() {
    for (boolean v : OPENAPI_31) {
      assertThat(property(v, "SessionSpec", "command").getMinItems()).as("3.1: %s", v).isEqualTo(1);
      assertThat(property(v, "SessionSpec", "command").getMaxItems())
          .isEqualTo(SessionRequestValidator.MAX_COMMAND_ARGS);
      assertThat(property(v, "SessionSpec", "env").getMaxProperties())
          .isEqualTo(SessionRequestValidator.MAX_ENV);
      assertThat(property(v, "SessionSpec", "ports").getMaxItems())
          .isEqualTo(SessionRequestValidator.MAX_PORTS);
      assertThat(property(v, "SessionSpec", "files").getMaxItems())
          .isEqualTo(SessionRequestValidator.MAX_FILES);
      assertThat(property(v, "SessionSpec", "setup").getMaxItems())
          .as("neither backend of this server runs setup")
          .isZero();
    }
  }

  @Test
  void describingTwiceChangesNothing() {
    @SuppressWarnings("rawtypes")
    Map<String, Schema> schemas = described(true);
    SessionSpecSchemas.describe(schemas);
    assertThat(schemas.get("SessionSpec").getRequired()).containsExactly("image");
  }
}
