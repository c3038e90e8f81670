package io.execbox.api.input;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.execbox.api.problem.ApiException;
import io.execbox.api.problem.ApiException.FieldError;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class JsonBodiesTest {
  private final JsonBodies bodies = new JsonBodies(new ObjectMapper());

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private void badRequest(byte[] body, String inDetail) {
    assertThatThrownBy(() -> bodies.read(body))
        .isInstanceOfSatisfying(
            ApiException.class, e -> assertThat(e.status().value()).isEqualTo(400))
        .hasMessageContaining(inDetail);
  }

  @Test
  void oneJsonValueInUtf8IsRead() {
    assertThat(bodies.read(utf8("{\"a\":\"é😀\"}\n ")).get("a").asText()).isEqualTo("é😀");
    assertThat(bodies.read(utf8("  "))).isNull();
    assertThat(bodies.read(null)).isNull();
  }

  @Test
  void bytesThatAreNotUtf8AreRefusedNotRepaired() {
    badRequest(new byte[] {'"', (byte) 0xff, '"'}, "UTF-8");
    badRequest(new byte[] {'"', (byte) 0xed, (byte) 0xa0, (byte) 0x80, '"'}, "UTF-8");
  }

  @Test
  void aLoneSurrogateEscapeIsRefusedNamingWhereItIs() {
    badRequest(utf8("{\"env\":{\"A\":\"\\ud800\"}}"), "body.env.A");
    badRequest(utf8("{\"command\":[\"x\",\"a\\udc00\"]}"), "body.command[1]");
    badRequest(utf8("{\"\\ud800\":1}"), "body (a key)");
    assertThat(bodies.read(utf8("{\"a\":\"\\ud83d\\ude00\"}")).get("a").asText()).isEqualTo("😀");
  }

  @Test
  void anythingAfterTheValueIsRefused() {
    badRequest(utf8("{\"a\":1}}}}"), "not valid JSON");
    badRequest(utf8("{\"a\":1}{\"a\":2}"), "more after its JSON value");
    badRequest(utf8("{\"a\":1} x"), "JSON");
  }

  @Test
  void aNulAnywhereIsNamed() throws Exception {
    List<FieldError> errors = new ArrayList<>();
    StoredText.checkTree(
        new ObjectMapper()
            .readTree(
                "{\"image\":\"a\\u0000\",\"files\":[{\"content\":\"\\u0000\"}],\"e\":{\"k\\u0000\":\"v\"}}"),
        "body",
        errors);
    assertThat(errors)
        .extracting(FieldError::location)
        .containsExactly("body.image", "body.files[0].content", "body.e.k\\u0000");
    assertThat(errors.get(1).message()).contains("base64");
  }
}
