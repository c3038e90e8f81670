package io.execbox.api.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class ForwardTokensTest {
  static final String SECRET = "0123456789abcdef0123456789abcdef-secret";
  static final Instant NOW = Instant.parse("2026-11-25T18:00:00Z");
  final ForwardTokens tokens = new ForwardTokens(SECRET);

  @Test
  void aTokenNamesItsSessionForAMinute() {
    String t = tokens.issue("sess_abc", NOW);
    assertThat(tokens.sessionOf(t, NOW)).isEqualTo("sess_abc");
    assertThat(tokens.sessionOf(t, NOW.plusSeconds(60))).isEqualTo("sess_abc");
    assertThat(tokens.sessionOf(t, NOW.plusSeconds(61))).isNull();
  }

  @Test
  void forgedAlteredOrForeignTokensAreRefused() {
    String t = tokens.issue("sess_abc", NOW);
    String[] p = t.split("\\.");
    assertThat(tokens.sessionOf("sess_xyz." + p[1] + "." + p[2], NOW)).as("other session").isNull();
    assertThat(tokens.sessionOf(p[0] + "." + (Long.parseLong(p[1]) + 3600) + "." + p[2], NOW))
        .as("later expiry")
        .isNull();
    assertThat(new ForwardTokens(SECRET + "x").sessionOf(t, NOW)).as("other secret").isNull();
    assertThat(tokens.sessionOf("garbage", NOW)).isNull();
    assertThat(tokens.sessionOf("a.b.c", NOW)).isNull();
    assertThat(tokens.sessionOf(null, NOW)).isNull();
  }

  @Test
  void aShortSecretIsRefused() {
    assertThatThrownBy(() -> new ForwardTokens("short"))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
