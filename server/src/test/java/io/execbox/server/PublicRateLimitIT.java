package io.execbox.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** Unauthenticated routes are limited per client IP (a server of its own, with a small limit). */
class PublicRateLimitIT {
  @Test
  void publicRoutesAreLimitedPerClientIp() {
    try (TestServer server = TestServer.start(Map.of("execbox.rate-limit-per-minute", 5))) {
      Client.awaitRateWindowWithRoom(java.time.Duration.ofSeconds(15));
      for (int i = 0; i < 5; i++) {
        assertThat(Client.raw(server.baseUrl(), "GET", "/health", null, null).status())
            .isEqualTo(200);
      }
      Client.Response limited = Client.raw(server.baseUrl(), "GET", "/openapi.json", null, null);
      assertThat(limited.status()).isEqualTo(429);
      assertThat(limited.headers().firstValue("Retry-After")).isPresent();
      assertThat(limited.json().get("status").asInt()).isEqualTo(429);
      // the per-IP limit is told like the per-key one (issue 14)
      assertThat(limited.headers().firstValue("X-RateLimit-Limit")).hasValue("5");
      assertThat(limited.headers().firstValue("X-RateLimit-Remaining")).hasValue("0");
      assertThat(limited.headers().firstValue("X-RateLimit-Reset")).isPresent();
    }
  }
}
