package io.execbox.api.sessions;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class SessionCursorTest {
  static final String ID = "sess_0123456789abcdef01234567";

  static String b64(String raw) {
    return Base64.getUrlEncoder()
        .withoutPadding()
        .encodeToString(raw.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void aCursorDecodesToTheRowItWasMadeFromToTheNanosecond() {
    for (Instant t :
        new Instant[] {
          Instant.parse("2026-01-02T03:04:05.123456Z"),
          Instant.parse("2026-01-02T03:04:05Z"),
          Instant.parse("2000-01-01T00:00:00Z"),
          Instant.parse("9999-12-31T23:59:59.999999999Z")
        }) {
      SessionCursor c = new SessionCursor(t, ID);
      assertThat(SessionCursor.decode(c.encode())).as(t.toString()).isEqualTo(c);
    }
  }

  @Test
  void aCursorOutsideTheTimesSessionsCanHaveIsNone() {
    for (Instant t :
        new Instant[] {Instant.EPOCH, Instant.parse("1999-12-31T23:59:59Z"), Instant.MAX}) {
      assertThat(SessionCursor.decode(new SessionCursor(t, ID).encode())).as(t.toString()).isNull();
    }
  }

  @Test
  void isUrlSafeWithoutPadding() {
    String s = new SessionCursor(Instant.parse("2026-01-02T03:04:05.123456Z"), ID).encode();
    assertThat(s).matches("[A-Za-z0-9_-]+");
    assertThat(new String(Base64.getUrlDecoder().decode(s), StandardCharsets.UTF_8))
        .isEqualTo("1767323045:123456000:" + ID);
  }

  @Test
  void anythingElseIsNotACursor() {
    for (String s :
        new String[] {
          "",
          "not base64!",
          "a",
          b64("1767323045:0"),
          b64("1767323045:0:sess_nothex"),
          b64("1767323045:0:sess_0123"),
          b64("x:0:" + ID),
          b64("1767323045:y:" + ID),
          b64("99999999999999999999:0:" + ID),
          b64(Long.MAX_VALUE + ":0:" + ID),
          b64(":0:" + ID),
          b64("1767323045:0:" + ID + ":extra"),
        }) {
      assertThat(SessionCursor.decode(s)).as(s).isNull();
    }
  }
}
